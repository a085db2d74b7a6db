;;; agent-test.el --- Emacs + eglot driving codeloop headless -*- lexical-binding: t -*-
;;
;; Run by tests/emacs/run.sh as `emacs --batch -Q -l tests/emacs/agent-test.el' with
;; BIN (codeloop), WS (a workspace with .git and ai.py), MODEL_URL (the mock model) and RESULT.
;; Scenario: open ai.py (python-mode), start eglot on codeloop with the mock provider in
;; :initializationOptions, read the outline through imenu (textDocument/documentSymbol), request
;; code actions on the `AI!' comment through eglot's own menu (completing-read answered by the
;; test), execute "Run AI instruction", wait until the mock model's patch lands in the buffer
;; (workspace/applyEdit with versioned documentChanges), wait for the turn's end (logged with
;; window/logMessage: eglot has no workDoneProgress), then `undo' once and check the original text.
;; Each line of RESULT is checked by run.sh; every wait is bounded.

(require 'cl-lib)
(require 'package)
;; -Q skips site-start, which puts Debian's elpa-* packages (elpa-eglot on Emacs 28) on the
;; load path; Emacs >= 29 has eglot built in.
(unless (locate-library "eglot")
  (add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
  (package-initialize))
(require 'eglot)
(require 'python)

(defvar agent-test--out nil)
(defvar agent-test--logs nil "window/logMessage lines from the server.")
(defun agent-test--rec (fmt &rest args) (push (apply #'format fmt args) agent-test--out))
(defun agent-test--finish (code)
  ;; The JSON-RPC traffic, for run.sh to show when the result is not the expected one.
  (let ((server (ignore-errors (eglot-current-server))))
    (when (and server (getenv "EVENTS"))
      (ignore-errors
        (with-current-buffer (jsonrpc-events-buffer server)
          (write-region (point-min) (point-max) (getenv "EVENTS") nil 'silent)))))
  (with-temp-file (getenv "RESULT")
    (insert (mapconcat #'identity (reverse agent-test--out) "\n") "\n"))
  (kill-emacs code))
(defun agent-test--nudge ()
  "Parse server messages jsonrpc left in the process buffer.
jsonrpc 1.0.14 (Emacs 28) leaves the messages that arrived in the same read as the reply to a
synchronous request (eglot-code-actions' workspace/executeCommand) unparsed until the server
writes again: the reply's `throw' leaves the process filter early. Feeding the filter an empty
string parses them.
Also sends pending didChange notifications: eglot sends them from an idle timer
\(`eglot-send-changes-idle-time'), and idle timers never fire in batch mode; codeloop checks that
an applied edit shows up in a didChange within 2 s."
  (when (eglot-managed-p) (eglot--signal-textDocument/didChange))
  (let ((server (ignore-errors (eglot-current-server))))
    (when (and server (fboundp 'jsonrpc--process-filter))
      (let ((proc (jsonrpc--process server)))
        (when (process-live-p proc) (jsonrpc--process-filter proc ""))))))
(defun agent-test--wait (seconds pred)
  "Pump the event loop (process output, timers) until PRED is non-nil or SECONDS pass."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      (agent-test--nudge))
    (funcall pred)))
(defun agent-test--text () (buffer-substring-no-properties (point-min) (point-max)))

;; No y-or-n-p in batch: server-initiated edits go through unconfirmed (eglot >= 1.16 renamed
;; the variable to eglot-confirm-server-edits).
(setq eglot-confirm-server-initiated-edits nil)
(when (boundp 'eglot-confirm-server-edits) (setq eglot-confirm-server-edits nil))
;; `M-x eglot' returns once the server answered initialize.
(setq eglot-sync-connect t eglot-connect-timeout 30)
(setq eglot-autoshutdown t)

(add-to-list 'eglot-server-programs
             `(python-mode
               . (,(getenv "BIN") "lsp"
                  :initializationOptions
                  (:index (:enabled :json-false :persist :json-false)
                   :config (:model "test-model"
                            :model_provider "mock"
                            :model_providers (:mock (:name "mock" :base_url ,(getenv "MODEL_URL"))))))))

;; The turn's progress reaches eglot (no window.workDoneProgress capability) as logMessage lines.
(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/logMessage)) &key _type message)
  (push message agent-test--logs))

;; Eglot's code-action menu (and showMessageRequest) ask through completing-read; answer it.
(advice-add 'completing-read :override
            (lambda (prompt collection &rest _)
              (let* ((names (mapcar (lambda (e) (if (consp e) (car e) e))
                                    (if (functionp collection) nil collection)))
                     (pick (cl-find-if (lambda (n) (string-prefix-p "Run AI instruction:" n)) names)))
                (agent-test--rec "menu=%s" (if pick "Run AI instruction" (format "%S %S" prompt names)))
                (or pick (error "No Run AI instruction action among %S" names)))))

(defun agent-test--lib-version (lib)
  (require 'lisp-mnt)
  (let ((f (or (locate-library (concat lib ".el")) (locate-library (concat lib ".el.gz")))))
    (or (and f (with-temp-buffer (insert-file-contents f) (lm-version))) "?")))

(defun agent-test--main ()
  (message "versions: Emacs %s, eglot %s, jsonrpc %s" emacs-version
           (agent-test--lib-version "eglot") (agent-test--lib-version "jsonrpc"))
  (find-file (expand-file-name "ai.py" (getenv "WS")))
  (agent-test--rec "mode=%s" major-mode)
  (apply #'eglot (eglot--guess-contact))
  (unless (agent-test--wait 20 #'eglot-managed-p)
    (agent-test--rec "eglot not managing the buffer")
    (agent-test--finish 1))
  (agent-test--rec "managed=%s" (if (eglot-managed-p) "yes" "no"))
  ;; The outline, as imenu shows it (eglot-imenu: textDocument/documentSymbol).
  (let ((index (funcall imenu-create-index-function)))
    (agent-test--rec "imenu=%s"
                     (mapconcat (lambda (e)
                                  (if (and (consp e) (listp (cdr e)))  ; a group: "Kind:name,name"
                                      (concat (car e) ":" (mapconcat (lambda (x) (format "%s" (car-safe x))) (cdr e) ","))
                                    (format "%s" (car-safe e))))
                                index ";")))
  (let ((before (agent-test--text)))
    (goto-char (point-min))
    (search-forward "AI!")
    (undo-boundary)
    ;; A non-list last-nonmenu-event makes eglot use completing-read instead of x-popup-menu.
    (let ((last-nonmenu-event 13))
      (eglot-code-actions (point) (point) nil t))
    (agent-test--rec "buffer=%s" (if (agent-test--wait 20 (lambda () (not (string-match-p "AI!" (agent-test--text)))))
                                     "changed" "unchanged"))
    (agent-test--rec "text=%s" (replace-regexp-in-string "\n" "|" (agent-test--text)))
    (agent-test--rec "turn=%s"
                     (if (agent-test--wait 15 (lambda () (cl-some (lambda (m) (string-suffix-p ": Returns 2 now." m))
                                                                  agent-test--logs)))
                         "ended" (format "no end in %S" agent-test--logs)))
    ;; One undo step reverts the whole applied edit (eglot applies it as one change group).
    (undo-boundary)
    (let ((last-command nil)) (undo))
    (agent-test--rec "undo=%s" (if (equal (agent-test--text) before) "restored"
                                 (concat "not restored: " (replace-regexp-in-string "\n" "|" (agent-test--text))))))
  (agent-test--finish 0))

(condition-case err
    (agent-test--main)
  (error (agent-test--rec "error=%S" err)
         (agent-test--finish 1)))
