-- codeloop for Neovim: require('codeloop').setup() starts the server for every filetype
-- (0.11+: vim.lsp.config/enable; 0.7-0.10: a FileType autocmd with start_client), shows the
-- agent's progress, and adds :CodeloopAsk, :CodeloopCancel, :CodeloopUndo, :CodeloopStatus.
local M = {}

local function client()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  for _, c in ipairs(get({ name = 'codeloop' })) do return c end
end

local function exec(command, args, cb)
  local c = client()
  if not c then return vim.notify('codeloop is not running', vim.log.levels.WARN) end
  local params = { command = command, arguments = { args or vim.empty_dict() } }
  c.request('workspace/executeCommand', params, function(err, result)
    if err then return vim.notify(command .. ': ' .. err.message, vim.log.levels.ERROR) end
    if cb then cb(result) end
  end, 0)
end

M.exec = exec

--- Asks the agent about the current buffer (the visual selection with a range).
function M.ask(prompt, line1, line2)
  local args = { prompt = prompt, uri = vim.uri_from_bufnr(0) }
  if line1 and line2 and line1 ~= line2 then
    args.range = { start = { line = line1 - 1, character = 0 }, ['end'] = { line = line2, character = 0 } }
  end
  exec('codeloop.ask', args, function(r) vim.notify('codeloop: ' .. r.threadId .. ' ' .. r.turnId) end)
end

function M.setup(opts)
  opts = opts or {}
  local cfg = {
    name = 'codeloop',
    cmd = opts.cmd or { 'codeloop', 'lsp' },
    init_options = opts.init_options or {},
    handlers = {
      -- Agent events (initializationOptions.events = true) for your own UI.
      ['codeloop/event'] = opts.on_event or function() end,
    },
  }
  if vim.lsp.config and vim.lsp.enable then
    cfg.root_markers = opts.root_markers or { '.git' }
    vim.lsp.config('codeloop', cfg)
    vim.lsp.enable('codeloop')
  else
    local id
    vim.api.nvim_create_autocmd('FileType', {
      callback = function(ev)
        if vim.bo[ev.buf].buftype ~= '' then return end
        cfg.root_dir = cfg.root_dir or vim.fn.getcwd()
        id = id or vim.lsp.start_client(cfg)
        vim.lsp.buf_attach_client(ev.buf, id)
      end,
    })
  end
  vim.api.nvim_create_user_command('CodeloopAsk', function(a) M.ask(a.args, a.line1, a.line2) end, { nargs = '+', range = true })
  vim.api.nvim_create_user_command('CodeloopCancel', function() exec('codeloop.cancel') end, {})
  vim.api.nvim_create_user_command('CodeloopUndo', function() exec('codeloop.undo') end, {})
  vim.api.nvim_create_user_command('CodeloopStatus', function()
    exec('codeloop.status', nil, function(r) vim.notify(vim.inspect(r)) end)
  end, {})
end

return M
