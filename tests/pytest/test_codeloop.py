"""The LSP flows of the foundation issue, driven by pytest-lsp (pygls) against the real binary,
with Neovim's and VS Code's client capability profiles."""
import asyncio

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient


async def wait_for_symbol(client: LanguageClient, query: str, name: str, tries: int = 100):
    for _ in range(tries):
        hits = await client.workspace_symbol_async(T.WorkspaceSymbolParams(query=query))
        if hits and any(h.name == name for h in hits):
            return hits
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} not found for {query!r}")


async def test_encoding_and_capabilities(client: LanguageClient):
    caps = client.init_result.capabilities
    # Neovim 0.11 offers utf-8; VS Code only utf-16.
    offered = client.init_result and caps.position_encoding
    assert offered in (T.PositionEncodingKind.Utf8, T.PositionEncodingKind.Utf16)
    assert caps.document_symbol_provider
    assert caps.workspace_symbol_provider
    assert caps.text_document_sync.change == T.TextDocumentSyncKind.Incremental


async def test_open_change_and_symbols(client: LanguageClient):
    uri = (client.workspace / "app" / "draft.py").as_uri()
    client.text_document_did_open(
        T.DidOpenTextDocumentParams(
            T.TextDocumentItem(uri=uri, language_id="python", version=1, text="def first():\n    pass\n")
        )
    )
    symbols = await client.text_document_document_symbol_async(
        T.DocumentSymbolParams(text_document=T.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["first"]
    client.text_document_did_change(
        T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                T.TextDocumentContentChangePartial(
                    range=T.Range(T.Position(2, 0), T.Position(2, 0)),
                    text="class Second:\n    def method(self):\n        pass\n",
                )
            ],
        )
    )
    symbols = await client.text_document_document_symbol_async(
        T.DocumentSymbolParams(text_document=T.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["first", "Second"]
    assert [c.name for c in symbols[1].children] == ["method"]
    assert symbols[1].children[0].kind == T.SymbolKind.Method


async def test_workspace_symbol_fuzzy(client: LanguageClient):
    hits = await wait_for_symbol(client, "ordsvc", "OrderService")
    assert hits[0].name == "OrderService"
    assert hits[0].location.uri.endswith("app/service.py")
    hits = await wait_for_symbol(client, "totalArea", "totalArea")
    assert hits[0].location.range.start.line == 1


async def test_index_progress(client: LanguageClient):
    await wait_for_symbol(client, "OrderService", "OrderService")
    for _ in range(100):
        reports = client.progress_reports.get("codeloop/index", [])
        if any(isinstance(r, T.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.05)
    assert isinstance(reports[0], T.WorkDoneProgressBegin)
    assert reports[0].percentage == 0
    assert isinstance(reports[-1], T.WorkDoneProgressEnd)
    assert "2 files" in reports[-1].message


async def test_unknown_method_and_server_still_answers(client: LanguageClient):
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("codeloop/doesNotExist", {})
    await wait_for_symbol(client, "place_order", "place_order")


async def test_file_watchers_registered_when_supported(client: LanguageClient):
    await wait_for_symbol(client, "OrderService", "OrderService")
    caps = client.capabilities
    dynamic = bool(caps.workspace and caps.workspace.did_change_watched_files and caps.workspace.did_change_watched_files.dynamic_registration)
    for _ in range(40):
        if client.registrations or not dynamic:
            break
        await asyncio.sleep(0.05)
    methods = [r.method for r in client.registrations]
    assert methods == (["workspace/didChangeWatchedFiles"] if dynamic else [])
