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
          var error = new Error(data.error || "The assistant is not available right now; please try again later.");
          error.status = response.status;
          throw error;
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
      if (conversationId) return restore();
    }).catch(function (error) {
      configured = false;
      addMessage("error", [el("p", { text: error.message })]);
    });
  }

  // After a reload: the server keeps the conversation, so draw the turns it still holds again.
  function restore() {
    busy = true;
    return request("POST", "/api/chat/history", { conversation_id: conversationId }).then(function (history) {
      var messages = history.messages || [];
      var lastAnswer = null;
      messages.forEach(function (message, i) {
        if (message.role === "visitor") addMessage("user", [el("p", { text: message.text })]);
        else lastAnswer = renderTurn(message, i < messages.length - 1);
      });
      if (lastAnswer) showStart(lastAnswer);
    }).catch(function (error) {
      // No longer kept (or never this channel's): the next message starts afresh. Anything else (the
      // service down a moment) keeps the id, so the conversation can still go on.
      if (error.status === 404) forget();
      else addMessage("error", [el("p", { text: error.message })]);
    }).then(function () { busy = false; });
  }

  function forget() {
    conversationId = null;
    try { sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage blocked */ }
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

  // A long answer is read from its first line: bring its start, not the end of the log, into view.
  function showStart(message) {
    log.scrollTop += message.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }

  // One turn of the assistant; a turn drawn again after a reload (``past``) offers no buttons but its rating.
  function renderTurn(turn, past) {
    var byNumber = {};
    (turn.citations || []).forEach(function (c) { byNumber[c.n] = c; });
    var reply = turn.reply || "";
    var lead = (turn.lead || "").trim();
    var children = [];
    if (lead) {
      children.push(replyParagraph(lead, byNumber, "lead"));
      if (reply.indexOf(lead) === 0) reply = reply.slice(lead.length).replace(/^\s+/, "");
    }
    if (reply) children.push(replyParagraph(reply, byNumber, "reply"));
    if (turn.citations && turn.citations.length) children.push(citationList(turn.citations));
    var intake = turn.intake;
    var actions = past ? [] : turn.actions || [];
    if (intake && actions.indexOf("confirm") !== -1) children.push(confirmationCard(intake, actions));
    if (intake && intake.stage === "submitted") children.push(submittedCard(intake));
    if (resendButton) resendButton.disabled = true;
    resendButton = null;
    if (actions.indexOf("resend") !== -1) children.push(resendCard());
    if (turn.answer_id) children.push(ratingCard(turn.answer_id));
    var message = addMessage("bot", children);
    showStart(message);
    return message;
  }

  // The line that answers, first and bold; plain text (the writer's words are never markup).
  // The reply as text, its [n] markers as links to the quoted passage.
  function replyParagraph(text, byNumber, kind) {
    var paragraph = el("p", kind ? { "class": kind } : {});
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

  // Thumbs up or down on an answer; down asks, optionally, what was missing. A second vote replaces the first.
  function ratingCard(answerId) {
    var group = el("div", { "class": "rating", role: "group", "aria-label": "Was this answer helpful?" });
    var status = el("p", { "class": "rating-status", role: "status" });
    var why = el("form", { "class": "rating-reason", hidden: true });
    var reason = el("input", {
      type: "text", maxlength: "500", "aria-label": "What was missing or wrong? (optional)",
      placeholder: "What was missing? (optional)"
    });
    why.appendChild(reason);
    why.appendChild(el("button", { type: "submit" }, ["Send"]));
    var buttons = [["up", "Helpful"], ["down", "Not helpful"]].map(function (pair) {
      var button = el("button", { type: "button", "class": "thumb " + pair[0], "aria-label": pair[1],
        "aria-pressed": "false", title: pair[1] }, [thumb(pair[0])]);
      button.addEventListener("click", function () {
        rate(pair[0], null).then(function (ok) {
          if (!ok) return;
          buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
          why.hidden = pair[0] !== "down";
          if (!why.hidden) reason.focus();
        });
      });
      return button;
    });
    why.addEventListener("submit", function (event) {
      event.preventDefault();
      rate("down", reason.value.trim() || null).then(function (ok) { if (ok) why.hidden = true; });
    });

    function rate(vote, text) {
      var body = { answer_id: answerId, vote: vote };
      if (text) body.reason = text;
      return request("POST", "/api/feedback", body).then(function () {
        status.textContent = "Thanks for your feedback.";
        return true;
      }).catch(function (error) {
        // 404: given more than a day ago (a conversation drawn again after a reload, say)
        status.textContent = error.status === 404 ? "This answer can no longer be rated." : error.message;
        return false;
      });
    }

    group.appendChild(el("span", { "class": "rating-label", text: "Helpful?" }));
    buttons.forEach(function (b) { group.appendChild(b); });
    return el("div", { "class": "rating-card" }, [group, why, status]);
  }

  // A thumb drawn in SVG (no icon font, no emoji font needed); down is up turned over.
  function thumb(direction) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06" +
      "L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23" +
      ".14-.47.14-.73v-2z");
    path.setAttribute("fill", "currentColor");
    if (direction === "down") path.setAttribute("transform", "rotate(180 12 12)");
    svg.appendChild(path);
    return svg;
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
