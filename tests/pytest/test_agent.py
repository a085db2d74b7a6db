"""The agent through pytest-lsp (pygls) as an independent client: codeloop.ask against the
scripted mock model (target/debug/mock-model), the versioned workspace/applyEdit, the AI!
code action through codeAction/resolve, and codeloop.undo. Three capability profiles:
pytest-lsp's Neovim 0.11 and VS Code ones, and Helix 25.07's (helix-lsp/src/client.rs:
no window.showMessage, no showDocument, codeAction resolve of edit and command)."""
import asyncio
import json
import os
import pathlib
import subprocess
import tempfile
from typing import Union

import pytest
import pytest_lsp
from lsprotocol import types as T
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CODELOOP_BIN", str(ROOT / "target" / "debug" / "codeloop"))
MOCK = os.environ.get("MOCK_MODEL_BIN", str(pathlib.Path(BIN).parent / "mock-model"))
HOME = pathlib.Path(tempfile.mkdtemp(prefix="codeloop-pytest-agent-"))
(HOME / "state").mkdir()
(HOME / "config").mkdir()
ENV = {
    **os.environ,
    "CODELOOP_LOG": "warn",
    "CODELOOP_STATE_DIR": str(HOME / "state"),
    "CODELOOP_CONFIG_DIR": str(HOME / "config"),
    "CODELOOP_CACHE_DIR": str(HOME / "cache"),
    "HOME": str(HOME / "config"),
}

RUST = "fn f() -> i32 {\n    // return 2 instead AI!\n    1\n}\n"
EXPECTED = "fn f() -> i32 {\n    2\n}\n"
PATCH = (
    "*** Begin Patch\n*** Update File: a.rs\n@@\n fn f() -> i32 {\n"
    "-    // return 2 instead AI!\n-    1\n+    2\n }\n*** End Patch"
)


def helix_capabilities() -> T.ClientCapabilities:
    """What Helix 25.07 sends (helix-lsp/src/client.rs), as far as the agent cares."""
    caps = {
        "general": {"positionEncodings": ["utf-8", "utf-32", "utf-16"]},
        "workspace": {
            "applyEdit": True,
            "configuration": True,
            "workspaceFolders": True,
            "didChangeConfiguration": {"dynamicRegistration": False},
            "didChangeWatchedFiles": {"dynamicRegistration": True, "relativePatternSupport": False},
            "executeCommand": {"dynamicRegistration": False},
            "workspaceEdit": {
                "documentChanges": True,
                "resourceOperations": ["create", "rename", "delete"],
                "failureHandling": "abort",
                "normalizesLineEndings": False,
            },
            "symbol": {"dynamicRegistration": False},
        },
        "textDocument": {
            "codeAction": {
                "codeActionLiteralSupport": {
                    "codeActionKind": {
                        "valueSet": [
                            "",
                            "quickfix",
                            "refactor",
                            "refactor.extract",
                            "refactor.inline",
                            "refactor.rewrite",
                            "source",
                            "source.organizeImports",
                        ]
                    }
                },
                "isPreferredSupport": True,
                "disabledSupport": True,
                "dataSupport": True,
                "resolveSupport": {"properties": ["edit", "command"]},
            },
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
            "publishDiagnostics": {"versionSupport": True},
        },
        "window": {"workDoneProgress": True},
    }
    from lsprotocol import converters

    return converters.get_converter().structure(caps, T.ClientCapabilities)


def capabilities(profile: str) -> T.ClientCapabilities:
    return helix_capabilities() if profile == "helix" else client_capabilities(profile)


def start_mock(script_turns, path: pathlib.Path):
    path.write_text(json.dumps({"turns": script_turns}))
    proc = subprocess.Popen([MOCK, "--script", str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return proc, url


@pytest_lsp.fixture(
    params=["neovim@v0.11.0", "visual_studio_code", "helix"],
    config=ClientServerConfig(server_command=[BIN, "lsp"], server_env=ENV),
)
async def agent(request, lsp_client: LanguageClient, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()
    turns = [
        {"outputs": [{"custom_tool_call": {"name": "apply_patch", "call_id": "c1", "input": PATCH}}]},
        {"outputs": [{"message": {"text": "Returns 2 now."}}]},
    ] * 2
    mock, url = start_mock(turns, tmp_path / "script.json")
    lsp_client.edits = []
    lsp_client.texts = {}
    lsp_client.versions = {}

    # lsprotocol 2025.0.0 structures any action literal that carries a `command` as a Command
    # (mangling it): tell the two apart by the fields only CodeAction has.
    conv = lsp_client.protocol._converter

    def command_or_action(obj, _):
        if isinstance(obj.get("command"), dict) or any(k in obj for k in ("kind", "edit", "data", "diagnostics")):
            return conv.structure(obj, T.CodeAction)
        return conv.structure(obj, T.Command)

    conv.register_structure_hook(Union[T.Command, T.CodeAction], command_or_action)

    @lsp_client.feature(T.CLIENT_REGISTER_CAPABILITY)
    def register(params: T.RegistrationParams):
        return None

    @lsp_client.feature(T.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: T.ApplyWorkspaceEditParams):
        lsp_client.edits.append(params)
        for change in params.edit.document_changes or []:
            uri = change.text_document.uri
            text = lsp_client.texts[uri]
            if change.text_document.version != lsp_client.versions[uri]:
                return T.ApplyWorkspaceEditResult(applied=False, failure_reason="outdated workspace edit")
            edits = sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
            for e in edits:
                text = replace(text, e.range, e.new_text)
            lsp_client.texts[uri] = text
            lsp_client.versions[uri] += 1
            lsp_client.text_document_did_change(
                T.DidChangeTextDocumentParams(
                    text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=lsp_client.versions[uri]),
                    content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
        return T.ApplyWorkspaceEditResult(applied=True)

    options = {
        "index": {"enabled": False, "persist": False},
        "config": {
            "model": "test-model",
            "model_provider": "mock",
            "model_providers": {"mock": {"name": "mock", "base_url": url}},
        },
    }
    result = await lsp_client.initialize_session(
        T.InitializeParams(
            capabilities=capabilities(request.param),
            root_uri=ws.as_uri(),
            workspace_folders=[T.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
            initialization_options=options,
        )
    )
    lsp_client.init_result = result
    lsp_client.workspace = ws
    lsp_client.profile = request.param
    yield
    await lsp_client.shutdown_session()
    mock.stdin.close()
    mock.wait(timeout=10)


def replace(text: str, rng: T.Range, new: str) -> str:
    """ASCII text: every encoding counts the same."""
    lines = text.split("\n")

    def off(p: T.Position) -> int:
        return sum(len(l) + 1 for l in lines[: p.line]) + p.character

    a, b = off(rng.start), off(rng.end)
    return text[:a] + new + text[b:]


def open_rust(client: LanguageClient) -> str:
    path = client.workspace / "a.rs"
    path.write_text("on disk\n")
    uri = path.as_uri()
    client.texts[uri] = RUST
    client.versions[uri] = 1
    client.text_document_did_open(
        T.DidOpenTextDocumentParams(T.TextDocumentItem(uri=uri, language_id="rust", version=1, text=RUST))
    )
    return uri


def progress_ends(client: LanguageClient):
    """The end messages of the turns' progress (pytest-lsp records every report)."""
    return [
        v.message
        for token, values in client.progress_reports.items()
        if str(token).startswith("codeloop/turn/")
        for v in values
        if isinstance(v, T.WorkDoneProgressEnd)
    ]


async def wait_for(cond, what: str, tries: int = 200):
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def execute(client: LanguageClient, command: str, args):
    return await client.workspace_execute_command_async(T.ExecuteCommandParams(command=command, arguments=[args]))


async def server_text(client: LanguageClient, uri: str):
    return await client.protocol.send_request_async("codeloop/documentState", {"textDocument": {"uri": uri}})


async def test_ask_applies_a_versioned_edit(agent):
    client: LanguageClient = agent
    commands = client.init_result.capabilities.execute_command_provider.commands
    assert {"codeloop.ask", "codeloop.undo", "codeloop.resume", "codeloop.fork", "codeloop.compact"} <= set(commands)
    uri = open_rust(client)
    ids = await execute(client, "codeloop.ask", {"prompt": "do the AI! comment", "uri": uri})
    assert ids["turnId"] == "turn-1"
    await wait_for(lambda: client.edits, "workspace/applyEdit")
    change = client.edits[0].edit.document_changes[0]
    assert change.text_document.uri == uri
    assert change.text_document.version == 1
    assert client.texts[uri] == EXPECTED
    await wait_for(lambda: progress_ends(client), "the end of the turn's progress")
    assert progress_ends(client) == ["Returns 2 now."]
    state = await server_text(client, uri)
    assert state.text == EXPECTED and state.version == 2
    # Undo: one applyEdit at the buffer's current version restores the comment.
    undo = await execute(client, "codeloop.undo", {})
    assert undo["files"] == [uri]
    await wait_for(lambda: len(client.edits) == 2, "the undo's applyEdit")
    assert client.edits[1].edit.document_changes[0].text_document.version == 2
    assert client.texts[uri] == RUST
    assert (client.workspace / "a.rs").read_text() == "on disk\n"


async def test_ai_comment_action(agent):
    client: LanguageClient = agent
    uri = open_rust(client)
    params = T.CodeActionParams(
        text_document=T.TextDocumentIdentifier(uri=uri),
        range=T.Range(T.Position(1, 4), T.Position(1, 4)),
        context=T.CodeActionContext(diagnostics=[]),
    )
    actions = await client.text_document_code_action_async(params)
    ai = next(a for a in actions if a.title.startswith("Run AI instruction"))
    if client.profile in ("helix", "neovim@v0.11.0"):
        # resolveSupport lists `command`: a light action, filled on resolve.
        assert isinstance(ai, T.CodeAction) and ai.command is None and ai.data["action"] == "aiComment"
        resolved = await client.code_action_resolve_async(ai)
        command = resolved.command
    else:
        assert isinstance(ai, T.CodeAction) and ai.kind == T.CodeActionKind.QuickFix
        command = ai.command
    assert command.command == "codeloop.ask"
    args = command.arguments[0]
    assert "remove the comment" in args["prompt"]
    await execute(client, "codeloop.ask", args)
    await wait_for(lambda: client.edits, "workspace/applyEdit")
    assert client.edits[0].edit.document_changes[0].text_document.version == 1
    assert client.texts[uri] == EXPECTED
