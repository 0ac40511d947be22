; Inno Setup script for Writer Desktop (Windows, per-user: no administrator rights needed).
; Build the bundle first (from the repository root, on Windows):
;     pyinstaller --noconfirm pyinstaller.spec
; then compile this script (Inno Setup 6):
;     iscc /DAppVersion=0.1.0 packaging\windows\writer-desktop.iss
; Output: dist\writer-desktop-<version>-windows-x64-setup.exe
; UNTESTED here: written on Linux; compile and try it on Windows before shipping.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Writer Desktop"
#define AppExe "writer-desktop.exe"
#define RepoRoot "..\.."

[Setup]
; Keep this AppId forever: it is how upgrades and the uninstaller find the installation.
AppId={{6F1C2B7E-3D4A-4E59-9C0B-2A7F5E8D1C34}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Writer
AppPublisherURL=https://writer.com
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#RepoRoot}\dist
OutputBaseFilename=writer-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile={#RepoRoot}\resources\writer-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running Writer Desktop holds its files open: ask to close it (Restart Manager).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "startatlogin"; Description: "Start Writer Desktop when I sign in (keeps the global shortcut ready)"; GroupDescription: "Other:"; Flags: unchecked

[Files]
Source: "{#RepoRoot}\dist\{#AppName}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle as a whole: no stale modules from an older version.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; The same value the app's own "Start at login" setting writes (HKCU, no admin rights).
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Code]
{ The uninstaller never touches the user's conversations, settings and logs
  (%LOCALAPPDATA%\Writer\Writer Desktop) unless they ask for it. Silent uninstalls keep them. }
var
  RemoveUserData: Boolean;

function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\Writer\Writer Desktop');
end;

function InitializeUninstall(): Boolean;
begin
  RemoveUserData := False;
  if (not UninstallSilent()) and DirExists(UserDataDir()) then
    RemoveUserData := MsgBox(
      'Also delete your Writer Desktop conversations, settings and logs?' + #13#10 + #13#10 +
      UserDataDir() + #13#10 + #13#10 +
      'Choose No to keep them (recommended if you may reinstall).',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  Result := True;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  { The app's own "Start at login" setting may have written the Run value too: an uninstalled app
    must not be started at sign-in, whoever wrote it. }
  if CurUninstallStep = usUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', '{#AppName}');
  if (CurUninstallStep = usPostUninstall) and RemoveUserData then
  begin
    DelTree(UserDataDir(), True, True, True);
    { Remove the "Writer" parent folder too, but only if nothing else lives there. }
    RemoveDir(ExpandConstant('{localappdata}\Writer'));
  end;
end;
