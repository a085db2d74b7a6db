-- Neovim 0.7 (Debian) as a real LSP client: attach codeloop, type in a buffer (incremental
-- didChange), then documentSymbol and workspace/symbol. Results go to $RESULT; run.sh checks them.
local out = {}
local function rec(s) out[#out+1] = s end
local client_id
vim.api.nvim_create_autocmd('FileType', { callback = function(ev)
  client_id = client_id or vim.lsp.start_client({ name = 'codeloop', cmd = { vim.env.BIN, 'lsp' }, root_dir = vim.env.WS })
  vim.lsp.buf_attach_client(ev.buf, client_id)
end })
local function main()
  vim.cmd('edit ' .. vim.env.WS .. '/src/lib.rs')
  vim.wait(5000, function() local c = vim.lsp.get_client_by_id(client_id); return c and c.initialized end, 50)
  local c = vim.lsp.get_client_by_id(client_id)
  rec('encoding=' .. tostring(c.offset_encoding))
  -- type in the buffer: rename `load` to `load_all` (incremental didChange from Neovim)
  vim.api.nvim_buf_set_text(0, 6, 11, 6, 11, { '_all' })
  local r = vim.lsp.buf_request_sync(0, 'textDocument/documentSymbol', { textDocument = vim.lsp.util.make_text_document_params() }, 5000)
  for _, res in pairs(r or {}) do
    for _, s in ipairs(res.result or {}) do
      rec(string.format('symbol %s kind=%d line=%d children=%d', s.name, s.kind, s.selectionRange.start.line, #(s.children or {})))
    end
  end
  local function wsym(query)
    local w = vim.lsp.buf_request_sync(0, 'workspace/symbol', { query = query }, 5000)
    local names = {}
    for _, res in pairs(w or {}) do
      for _, s in ipairs(res.result or {}) do names[#names + 1] = 'wsymbol ' .. s.name .. ' ' .. s.location.uri:gsub('.*/', '') end
    end
    return names
  end
  -- The disk index is built in the background and the buffer's symbols reach it after a
  -- short debounce: poll for both.
  for _, q in ipairs({ 'helperdisk', 'load_all' }) do
    local found = {}
    vim.wait(10000, function() found = wsym(q); return #found > 0 end, 100)
    for _, n in ipairs(found) do rec(n) end
  end
  vim.fn.writefile(out, vim.env.RESULT)
  vim.cmd('qa!')
end
vim.api.nvim_create_autocmd('VimEnter', { callback = function() vim.schedule(main) end })
