/* Privacy assistant chat widget. Embed with one tag:
 *
 *   <script src="https://assistant.example.com/static/widget.js" defer></script>
 *
 * It talks to the origin it was loaded from, or to data-api-origin="https://..." when set.
 * Plain JS, no build step, no inline code: it runs under a CSP without 'unsafe-inline'.
 * Every text from the server or the visitor goes in with textContent, never as markup.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__privacyAssistantLoaded) return;
  window.__privacyAssistantLoaded = true;

  var apiOrigin = (script.getAttribute("data-api-origin") || new URL(script.src, location.href).origin)
    .replace(/\/+$/, "");
  var STORAGE_KEY = "privacy-assistant:conversation";
  var conversationId = null;
  try { conversationId = sessionStorage.getItem(STORAGE_KEY); } catch (e) { /* storage blocked */ }
  var busy = false;
  var resendButton = null; // the latest "Send a new code": one live at a time
  var configured = false;
  var maxChars = 2000;
  var streaming = false; // the LLM writer is on: the lead is shown as it is written

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "hidden") node.hidden = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(url, apiOrigin);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  // -- the frame: a launcher button and a panel, in a shadow root so the host page's CSS stays out --
  var host = el("div", { id: "privacy-assistant-widget" });
  document.body.appendChild(host);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(el("link", { rel: "stylesheet", href: apiOrigin + "/static/widget.css" }));

  var launcher = el("button", {
    type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "pa-panel",
    "aria-label": "Open the privacy assistant chat"
  }, ["Privacy questions?"]);
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": "Close the chat" }, ["×"]);
  var notice = el("p", { "class": "notice", id: "pa-notice" });
  var log = el("div", {
    "class": "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0"
  });
  var input = el("textarea", {
    id: "pa-input", rows: "2", maxlength: String(maxChars), "aria-describedby": "pa-notice",
    placeholder: "Ask about your privacy…"
  });
  var send = el("button", { type: "submit", "class": "send" }, ["Send"]);
  var form = el("form", { "class": "composer" }, [
    el("label", { "for": "pa-input", "class": "visually-hidden" }, ["Your message"]), input, send
  ]);
  var panel = el("section", {
    id: "pa-panel", "class": "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "pa-title", hidden: true
  }, [
    el("header", { "class": "panel-header" }, [el("h2", { id: "pa-title" }, ["Privacy assistant"]), closeButton]),
    notice, log, form
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    if (!configured) loadConfig();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });

  // -- talking to the service ---------------------------------------------------------------------
  function request(method, path, body) {
    return fetch(apiOrigin + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || "The assistant is not available right now; please try again later.");
        }
        return data;
      });
    });
  }

  // /api/chat/stream: JSON lines, {"lead": text} as the writer writes, then {"turn": ...}. The turn's
  // lead is the checked one, so the draft is dropped and the turn rendered as /api/chat would return it.
  function streamTurn(payload, typing) {
    var draft = null;
    var turn = null;
    function handle(line) {
      if (!line.trim()) return;
      var event = JSON.parse(line);
      if (event.error) throw new Error(event.error);
      if (event.turn) { turn = event.turn; return; }
      if (typeof event.lead !== "string") return;
      if (!draft) {
        typing.remove();
        draft = addMessage("bot", [el("p", { "class": "lead draft", "aria-busy": "true" })]);
      }
      draft.firstChild.textContent += event.lead;
    }
    return fetch(apiOrigin + "/api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok || !response.body) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          throw new Error(data.error || "The assistant is not available right now; please try again later.");
        });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
          var lines = buffer.split("\n");
          buffer = chunk.done ? "" : lines.pop();
          lines.forEach(handle);
          if (!chunk.done) return pump();
          if (!turn) throw new Error("The answer was cut off; please ask again.");
          return turn;
        });
      }
      return pump();
    }).then(function (finished) {
      if (draft) draft.remove();
      return finished;
    }, function (error) {
      if (draft) draft.remove();
      throw error;
    });
  }

  function loadConfig() {
    configured = true;
    request("GET", "/api/widget").then(function (config) {
      notice.textContent = config.notice;
      maxChars = config.max_message_chars || maxChars;
      streaming = Boolean(config.stream);
      input.setAttribute("maxlength", String(maxChars));
      if (!log.childNodes.length) addMessage("bot", [el("p", { text: config.greeting })]);
    }).catch(function (error) {
      configured = false;
      addMessage("error", [el("p", { text: error.message })]);
    });
  }

  function submit() {
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    addMessage("user", [el("p", { text: text })]);
    converse({ message: text });
  }

  function converse(payload) {
    if (conversationId) payload.conversation_id = conversationId;
    busy = true;
    send.disabled = true;
    var typing = el("div", { "class": "message bot typing", role: "status", "aria-label": "The assistant is typing" },
      [el("span", { "aria-hidden": "true", text: "•••" })]);
    log.appendChild(typing);
    scrollDown();
    var call = streaming ? streamTurn(payload, typing) : request("POST", "/api/chat", payload);
    return call.then(function (turn) {
      conversationId = turn.conversation_id;
      try { sessionStorage.setItem(STORAGE_KEY, conversationId); } catch (e) { /* storage blocked */ }
      typing.remove();
      renderTurn(turn);
    }).catch(function (error) {
      typing.remove();
      addMessage("error", [el("p", { text: error.message })]);
    }).then(function () {
      busy = false;
      send.disabled = false;
    });
  }

  // -- rendering ------------------------------------------------------------------------------------
  function addMessage(kind, children) {
    var message = el("div", { "class": "message " + kind }, children);
    if (kind === "user") message.setAttribute("aria-label", "You said");
    log.appendChild(message);
    scrollDown();
    return message;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function renderTurn(turn) {
    var byNumber = {};
    (turn.citations || []).forEach(function (c) { byNumber[c.n] = c; });
    var children = [replyParagraph(turn.reply, byNumber)];
    if (turn.lead) children.unshift(leadParagraph(turn.lead));
    if (turn.citations && turn.citations.length) children.push(citationList(turn.citations));
    var intake = turn.intake;
    var actions = turn.actions || [];
    if (intake && actions.indexOf("confirm") !== -1) children.push(confirmationCard(intake, actions));
    if (intake && intake.stage === "submitted") children.push(submittedCard(intake));
    if (resendButton) resendButton.disabled = true;
    resendButton = null;
    if (actions.indexOf("resend") !== -1) children.push(resendCard());
    addMessage("bot", children);
  }

  // The line that answers, first and bold; plain text (the writer's words are never markup).
  function leadParagraph(text) {
    return el("p", { "class": "lead", text: text });
  }

  // The reply as text, its [n] markers as links to the quoted passage.
  function replyParagraph(text, byNumber) {
    var paragraph = el("p");
    var pattern = /\[(\d+)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var citation = byNumber[match[1]];
      var url = citation && safeUrl(citation.url);
      if (!url) continue;
      paragraph.appendChild(document.createTextNode(text.slice(last, match.index)));
      paragraph.appendChild(el("a", {
        href: url, target: "_blank", rel: "noopener noreferrer", "class": "marker",
        "aria-label": "Source " + match[1] + ": " + citation.section
      }, [match[0]]));
      last = pattern.lastIndex;
    }
    paragraph.appendChild(document.createTextNode(text.slice(last)));
    return paragraph;
  }

  function citationList(citations) {
    var list = el("ol", { "class": "citations", "aria-label": "Sources in the privacy policy" });
    citations.forEach(function (c) {
      var url = safeUrl(c.url);
      if (!url) return;
      list.appendChild(el("li", {}, [el("a", {
        href: url, target: "_blank", rel: "noopener noreferrer", "class": "chip",
        title: "Open the policy (version of " + c.version + ") at this quote"
      }, ["[" + c.n + "] " + c.section])]));
    });
    return list;
  }

  function confirmationCard(intake, actions) {
    var card = el("div", { "class": "card", role: "group", "aria-label": "Confirm your request" });
    if (intake.summary) card.appendChild(el("p", { "class": "summary", text: intake.summary }));
    var buttons = el("div", { "class": "card-actions" });
    [["confirm", "Confirm"], ["cancel", "Cancel"]].forEach(function (pair) {
      if (actions.indexOf(pair[0]) === -1) return;
      var button = el("button", { type: "button", "class": pair[0] }, [pair[1]]);
      button.addEventListener("click", function () {
        if (busy) return;
        Array.prototype.forEach.call(buttons.querySelectorAll("button"), function (b) { b.disabled = true; });
        addMessage("user", [el("p", { text: pair[1] })]);
        converse({ action: pair[0] });
      });
      buttons.appendChild(button);
    });
    card.appendChild(buttons);
    return card;
  }

  // While the request waits for its e-mail code: ask for a new one (the old one stops working).
  function resendCard() {
    var button = el("button", { type: "button", "class": "resend" }, ["Send a new code"]);
    button.addEventListener("click", function () {
      if (busy) return;
      button.disabled = true;
      addMessage("user", [el("p", { text: "Send a new code" })]);
      converse({ action: "resend" });
    });
    resendButton = button;
    return el("div", { "class": "card-actions resend-actions", role: "group", "aria-label": "Verification code" },
      [button]);
  }

  function submittedCard(intake) {
    var details = el("dl", { "class": "card submitted", "aria-label": "Your request" });
    if (intake.reference) {
      details.appendChild(el("dt", { text: "Reference" }));
      details.appendChild(el("dd", { "class": "reference", text: intake.reference }));
    }
    if (intake.due_at) {
      details.appendChild(el("dt", { text: "Answer due by" }));
      details.appendChild(el("dd", {}, [el("time", { datetime: intake.due_at, text: intake.due_at })]));
    }
    return details;
  }
})();
