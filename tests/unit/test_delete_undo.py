"""What Undo reaches: one delete per request, latest last, forgotten once back."""

from __future__ import annotations

from writer_desktop.ui.delete_undo import DeletedStack


def test_conversations_of_one_request_are_undone_together() -> None:
    stack = DeletedStack()
    stack.push("a", "A", batch=1)
    stack.push("b", "B", batch=2)
    stack.push("c", "C", batch=2)
    assert stack.latest() == (2, "C")
    assert stack.pop() == ["b", "c"]
    assert stack.latest() == (1, "A")
    assert stack.pop() == ["a"]
    assert not stack
    assert stack.pop() == []
    assert stack.latest() == (0, "")


def test_forgetting_empties_a_delete_and_the_depth_counts_deletes() -> None:
    stack = DeletedStack(depth=2)
    for n in range(3):
        stack.push(f"x{n}", "", batch=n)
        stack.push(f"y{n}", "", batch=n)
    assert stack.ids() == {"x1", "y1", "x2", "y2"}  # the oldest delete dropped, whole
    assert not stack.forget({"nothing"})
    assert stack.forget({"x2", "y2"})  # back by another way: the delete before is next
    assert stack.pop() == ["x1", "y1"]
    assert not stack
