"""The Qt user interface: widgets, plus the one controller that bridges asyncio and Qt."""
