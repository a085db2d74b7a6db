-- Neovim 0.7 (Debian) running the agent: open a file with an `AI!` comment, request code
-- actions through vim.lsp.buf.code_action (vim.ui.select stubbed to pick "Run AI
-- instruction"), let the mock model answer with a patch, check that the buffer changed (the
-- comment is gone), then that Neovim's own undo restores it. Results go to $RESULT; run.sh checks them.
local out = {}
local function rec(s) out[#out+1] = s end
local client_id
vim.api.nvim_create_autocmd('FileType', { callback = function(ev)
  client_id = client_id or vim.lsp.start_client({
    name = 'codeloop',
    cmd = { vim.env.BIN, 'lsp' },
    root_dir = vim.env.WS,
    init_options = {
      index = { enabled = false, persist = false },
      config = {
        model = 'test-model',
        model_provider = 'mock',
        model_providers = { mock = { name = 'mock', base_url = vim.env.MODEL_URL } },
      },
    },
  })
  vim.lsp.buf_attach_client(ev.buf, client_id)
end })
-- 0.7 progress: `User LspProgressUpdate`, messages from vim.lsp.util.get_progress_messages().
local turn_ended = false
vim.api.nvim_create_autocmd('User', { pattern = 'LspProgressUpdate', callback = function()
  for _, m in ipairs(vim.lsp.util.get_progress_messages()) do
    if m.done and (m.title or ''):find('^codeloop') then turn_ended = true end
  end
end })
local function text() return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') end
local function main()
  vim.cmd('edit ' .. vim.env.WS .. '/src/ai.rs')
  vim.wait(5000, function() local c = vim.lsp.get_client_by_id(client_id); return c and c.initialized end, 50)
  local before = text()
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local action = item[2] or item
      local title = action.title or ''
      if title:find('^Run AI instruction') then
        rec('action=' .. title)
        return on_choice(item, i)
      end
    end
    rec('no AI action among ' .. #items)
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.lsp.buf.code_action()
  local changed = vim.wait(15000, function() return not text():find('AI!', 1, true) end, 50)
  rec('buffer=' .. (changed and 'changed' or 'unchanged'))
  rec('text=' .. text():gsub('\n', '|'))
  -- Let the turn end (its progress `end`) before undoing: codeloop checks that the applied edit
  -- shows up in a didChange, which Neovim 0.7 debounces (150 ms); an undo inside that window
  -- would hide the edit from the server.
  local ended = vim.wait(10000, function() return turn_ended end, 50)
  rec('turn=' .. (ended and 'ended' or 'not ended'))
  vim.cmd('undo')
  rec('undo=' .. (text() == before and 'restored' or ('not restored: ' .. text():gsub('\n', '|'))))
  vim.fn.writefile(out, vim.env.RESULT)
  vim.cmd('qa!')
end
vim.api.nvim_create_autocmd('VimEnter', { callback = function() vim.schedule(main) end })
