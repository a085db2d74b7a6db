-- codeloop for Neovim 0.11+: require('codeloop').setup() starts the server for every filetype.
local M = {}

function M.setup(opts)
  opts = opts or {}
  vim.lsp.config('codeloop', {
    cmd = opts.cmd or { 'codeloop', 'lsp' },
    root_markers = opts.root_markers or { '.git' },
    init_options = opts.init_options or {},
  })
  vim.lsp.enable('codeloop')
end

return M
