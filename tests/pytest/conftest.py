"""pytest-lsp fixtures: the real codeloop binary driven by pygls as an independent client."""
import os
import pathlib
import sys

import pytest
import pytest_lsp
from lsprotocol import types as T
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CODELOOP_BIN", str(ROOT / "target" / "debug" / "codeloop"))


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(
        "class OrderService:\n"
        "    def place_order(self, item):\n"
        "        return item\n\n"
        "DEFAULT_TIMEOUT = 30\n"
    )
    (tmp_path / "app" / "util.ts").write_text(
        "export interface Shape { area(): number }\n"
        "export function totalArea(shapes: Shape[]): number { return 0 }\n"
    )
    return tmp_path


@pytest_lsp.fixture(
    params=["neovim@v0.11.0", "visual_studio_code"],
    config=ClientServerConfig(
        server_command=[BIN, "lsp"],
        server_env={"CODELOOP_LOG": "warn"},
    ),
)
async def client(request, lsp_client: LanguageClient, workspace, tmp_path_factory):
    os.environ["CODELOOP_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    lsp_client.registrations = []

    @lsp_client.feature(T.CLIENT_REGISTER_CAPABILITY)
    def register(params: T.RegistrationParams):
        lsp_client.registrations.extend(params.registrations)
        return None

    caps = client_capabilities(request.param)
    result = await lsp_client.initialize_session(
        T.InitializeParams(
            capabilities=caps,
            root_uri=workspace.as_uri(),
            workspace_folders=[T.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    lsp_client.init_result = result
    lsp_client.workspace = workspace
    yield
    await lsp_client.shutdown_session()
