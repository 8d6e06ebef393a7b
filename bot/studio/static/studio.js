// The flow studio page: plain JavaScript, no build, no network beyond this studio's own server.
"use strict";

const $ = (selector) => document.querySelector(selector);
const studio = { state: null, flow: null, selected: null, path: null, chat: null, log: [], tryFlow: null };

function element(tag, attributes = {}, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") made.textContent = value;
    else if (name === "html") made.innerHTML = value; // only server-rendered, escaped HTML (bot/content/render.py)
    else if (name.startsWith("on")) made.addEventListener(name.slice(2), value);
    else made.setAttribute(name, value);
  }
  for (const child of children) if (child != null) made.append(child);
  return made;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json", "X-Studio": "1" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(data.error || `${response.status}`);
  return data;
}

// A file:line that opens the maintainer's editor (`twitchcheck studio --editor URL`; {path} is absolute).
function editorHref(at) {
  const pattern = (studio.state && studio.state.editor) || "vscode://file/{path}:{line}";
  return pattern.replaceAll("{path}", encodeURI(at.path)).replaceAll("{file}", encodeURI(at.file)).replaceAll("{line}", String(at.line));
}

function editorLink(at, className = "at") {
  return element("a", { class: className, href: editorHref(at), text: `${at.file}:${at.line}`, title: "Open in your editor" });
}

// --- views ------------------------------------------------------------------------------------------

function show(view) {
  for (const button of document.querySelectorAll("nav button")) button.classList.toggle("active", button.dataset.view === view);
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  if (view === "try" && !studio.chat && !studio.reaching) startTrial();
}

for (const button of document.querySelectorAll("nav button")) button.addEventListener("click", () => show(button.dataset.view));

// --- live: the event stream says a new version exists; fetch it -------------------------------------------

async function refresh() {
  const state = await api("/api/state");
  studio.state = state;
  // A counter-example's highlight goes when its problem does (a path from Try it stays).
  if (studio.pathProblem && !state.problems.some((p) => problemKey(p) === studio.pathProblem)) {
    studio.pathProblem = null;
    studio.path = null;
  }
  renderLive(state);
  renderFlows(state);
  renderProblems(state);
  testsAfterSave(state);
}

function renderLive(state) {
  const live = $("#live");
  const time = new Date(state.loaded_at * 1000).toLocaleTimeString();
  const errors = state.problems.filter((p) => !p.warning).length;
  live.textContent = `● live · version ${state.version} · ${time}`;
  live.classList.toggle("broken", errors > 0);
  live.dataset.version = state.version;
  const count = $("#problem-count");
  count.textContent = state.problems.length;
  count.classList.toggle("errors", errors > 0);
  count.classList.toggle("warnings", errors === 0 && state.problems.length > 0);
  const banner = $("#banner");
  banner.hidden = errors === 0;
  banner.classList.toggle("errors", errors > 0);
  if (errors > 0) {
    const first = state.problems.find((p) => !p.warning);
    const drawn = state.valid ? "The diagram shows this version, which is not safe yet" : "The diagram shows the last valid version";
    const tried = state.good_version ? `"Try it" and the tests use the last good version (${state.good_version})` : "nothing can be tried until a version passes";
    banner.replaceChildren(
      element("strong", { text: `${errors} problem(s): ` }), `${first.text}`,
      element("br"), `${drawn}; ${tried}. `,
      element("a", { href: "#problems", onclick: (event) => { event.preventDefault(); show("problems"); }, text: "See the problems" }),
    );
  }
}

function fillSelect(select, ids, current) {
  select.replaceChildren(...ids.map((id) => element("option", { value: id, text: id })));
  if (ids.includes(current)) select.value = current;
  return select.value || null;
}

function renderFlows(state) {
  const ids = state.flows.map((f) => f.id);
  studio.flow = fillSelect($("#flow-select"), ids, studio.flow || (ids.includes("twitching") ? "twitching" : ids[0]));
  fillSelect($("#try-flow"), state.tryable, studio.tryFlow);
  const flow = state.flows.find((f) => f.id === studio.flow);
  const diagram = $("#diagram");
  if (!flow) {
    diagram.replaceChildren(element("p", { class: "muted", text: "No version of the flows has been valid yet: see the problems." }));
    return;
  }
  $("#flow-file").textContent = flow.file;
  diagram.innerHTML = flow.svg; // drawn by bot/studio/diagram.py, every text escaped
  for (const node of diagram.querySelectorAll(".node")) {
    node.addEventListener("click", () => selectNode(node.dataset.id));
    node.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); selectNode(node.dataset.id); } });
  }
  if (studio.selected) selectNode(studio.selected, true);
  const problem = studio.pathProblem;
  highlight(studio.path);
  studio.pathProblem = problem;
}

$("#flow-select").addEventListener("change", (event) => { studio.flow = event.target.value; studio.selected = null; studio.path = null; renderFlows(studio.state); });

async function selectNode(id, quiet = false) {
  for (const node of document.querySelectorAll("#diagram .node")) node.classList.toggle("selected", node.dataset.id === id);
  studio.selected = id;
  let data;
  try {
    data = await api(`/api/node?flow=${encodeURIComponent(studio.flow)}&id=${encodeURIComponent(id)}`);
  } catch (error) {
    if (!quiet) $("#panel").replaceChildren(element("p", { class: "muted", text: "Not a step or an outcome." }));
    return;
  }
  const panels = { step: stepPanel, outcome: outcomePanel, routing: routingPanel };
  $("#panel").replaceChildren(...panels[data.type](data));
}

function stepPanel(step) {
  const kind = { red_flag: "red-flag question", emergency: "emergency question", account: "the person's own account" }[step.kind] || "question";
  const choices = element("ul", {}, ...step.choices.map((choice) => element("li", {},
    element("strong", { text: choice.label }), ` (${choice.value}) `,
    ...choice.leads.map((lead) => element("div", {}, "→ ", element("a", {
      href: "#", text: lead.to, onclick: (event) => { event.preventDefault(); selectNode(lead.target === "route" ? "flow_routing" : lead.target); },
    }), lead.when ? ` when ${lead.when}` : "")))));
  const parts = [
    element("h2", { text: step.id }),
    element("div", { class: "where muted" }, `${kind} · records ${step.key} · `, editorLink(step.at)),
    element("div", { class: "telegram", html: step.html }),
    element("h3", { text: "Choices and where each leads" }), choices,
    element("h3", { text: `Where its answer (${step.key}) is used` }),
    step.uses.length
      ? element("ul", { class: "uses" }, ...step.uses.map((use) => element("li", { class: use.kind },
        element("span", { class: "kind", text: use.kind }), ` ${use.text} `, editorLink(use.at))))
      : element("p", { class: "muted", text: "Nowhere: no routing rule, condition, excerpt or the summary reads it." }),
  ];
  if (step.routing.length) parts.push(element("h3", { text: "Routing (first rule that holds wins)" }), rulesList(step.routing));
  return parts;
}

function outcomePanel(outcome) {
  return [
    element("h2", { text: `${outcome.mark} ${outcome.id}` }),
    element("div", { class: "where muted", text: `outcome · ${outcome.level} · line ${outcome.line}` }),
    element("div", { class: "telegram", html: outcome.html }),
    element("h3", { text: "Routing rules that lead here" }),
    outcome.routing.length ? rulesList(outcome.routing) : element("p", { class: "muted", text: "None: only a step's own choice leads here." }),
    outcome.excerpts.length ? element("p", { text: `Excerpts of its own: ${outcome.excerpts.join(", ")}` }) : null,
  ];
}

function routingPanel(routing) {
  return [
    element("h2", { text: "routing" }),
    element("div", { class: "where muted", text: `the flow's routing rules · from line ${routing.line}` }),
    element("p", { text: "A step whose choice leads to `route` hands over here: the first rule that holds picks the outcome." }),
    rulesList(routing.routing),
  ];
}

function rulesList(rules) {
  return element("ol", {}, ...rules.map((rule) => element("li", { value: rule.number, text: `→ ${rule.outcome} when ${rule.when} (line ${rule.line})` })));
}

function problemKey(problem) {
  return `${problem.kind}\u0000${problem.what}`;
}

function highlight(path, problem = null) {
  studio.path = path;
  studio.pathProblem = path && problem ? problemKey(problem) : null;
  const svg = $("#diagram svg");
  $("#clear-path").hidden = !path;
  if (!svg) return;
  svg.classList.toggle("has-path", Boolean(path));
  const nodes = new Set(path || []);
  const pairs = new Set();
  const drawn = new Set([...svg.querySelectorAll(".edge")].map((edge) => `${edge.dataset.source}\u0000${edge.dataset.dest}`));
  for (let i = 0; path && i + 1 < path.length; i += 1) {
    const [from, to] = [path[i], path[i + 1]];
    if (drawn.has(`${from}\u0000${to}`)) pairs.add(`${from}\u0000${to}`);
    else if (drawn.has(`${from}\u0000flow_routing`) && drawn.has(`flow_routing\u0000${to}`)) {
      nodes.add("flow_routing"); // handed over to the routing rules, drawn once as their own node
      pairs.add(`${from}\u0000flow_routing`).add(`flow_routing\u0000${to}`);
    } else if (drawn.has(`typed_at_any_step\u0000${to}`)) {
      nodes.add("typed_at_any_step"); // an emergency phrase typed at `from`
      pairs.add(`typed_at_any_step\u0000${to}`);
    }
  }
  for (const node of svg.querySelectorAll(".node")) node.classList.toggle("on-path", nodes.has(node.dataset.id));
  for (const edge of svg.querySelectorAll(".edge")) edge.classList.toggle("on-path", pairs.has(`${edge.dataset.source}\u0000${edge.dataset.dest}`));
}

$("#clear-path").addEventListener("click", () => highlight(null));

// --- problems ------------------------------------------------------------------------------------------

function renderProblems(state) {
  const list = $("#problems");
  $("#problems-intro").textContent = state.problems.length
    ? "Everything `twitchcheck validate` and `twitchcheck check` report, errors first. A place opens your editor; “lines” shows them here."
    : "No problems: `validate` and `check` accept every flow.";
  list.replaceChildren(...state.problems.map((problem) => {
    const item = element("li", { class: problem.warning ? "warning" : "error" });
    const where = editorLink(problem.at, "where");
    const lines = element("button", { type: "button", class: "lines", text: "lines", title: "Show the lines around it here",
      onclick: () => showSource(item, problem) });
    item.append(where, " ", lines, `: ${problem.warning ? "warning: " : ""}${problem.what}`, element("div", { class: "fix", text: `Fix: ${problem.fix}` }));
    if (problem.path.length && problem.flow) {
      const path = ["flow_start", ...problem.path, ...(problem.outcome ? [problem.outcome] : [])];
      item.append(element("button", { type: "button", class: "show-path", text: "Show this path on the diagram", onclick: () => {
        studio.flow = problem.flow;
        renderFlows(studio.state);
        highlight(path, problem);
        show("flow");
      } }));
    }
    if (openSources.has(`${problem.source}:${problem.line}`)) showSource(item, problem, true);
    return item;
  }));
}

// The lines shown under a problem stay open when the list is drawn again after a save.
const openSources = new Set();

async function showSource(item, problem, again = false) {
  const key = `${problem.source}:${problem.line}`;
  const old = item.querySelector(".source");
  if (old && !again) { old.remove(); openSources.delete(key); return; }
  if (old) old.remove();
  openSources.add(key);
  try {
    const data = await api(`/api/source?file=${encodeURIComponent(problem.source)}&line=${problem.line}`);
    item.append(element("div", { class: "source" }, ...data.lines.map((line) => element("div", { class: line.number === problem.line ? "here" : "" },
      element("span", { text: String(line.number) }), line.text))));
  } catch (error) {
    item.append(element("div", { class: "source error-text", text: String(error.message) }));
  }
}

// --- try it --------------------------------------------------------------------------------------------

// Turns run one after another, each on the conversation the one before returned, however fast the clicks.
let queue = Promise.resolve();
function clearSaveForm() {
  $("#case-name").value = "";
  $("#save-result").textContent = "";
  $("#save-result").className = "muted";
}

function trial(action, logged) {
  if (action.kind === "restart" || action.kind === "start" || action.kind === "reach") clearSaveForm();
  queue = queue.then(() => {
    if (logged) studio.log.push(logged.command ? logged : { step: studio.chat && studio.chat.step, ...logged });
    return turn(action);
  });
  return queue;
}

async function turn(action) {
  const flow = studio.tryFlow || $("#try-flow").value;
  if (!flow) { chatNote("No version of the flows has passed `check` yet: fix the problems first."); return; }
  let data;
  try {
    data = await api("/api/try", { flow, conversation: studio.chat, ...action });
  } catch (error) {
    chatNote(String(error.message));
    return;
  }
  studio.chat = data.conversation;
  studio.tryFlow = flow;
  if (data.log) studio.log = data.log;
  $("#try-version").textContent = `on version ${data.version}, the last good one`;
  for (const button of document.querySelectorAll("#chat button")) button.disabled = true;
  $("#chat").dataset.level = data.level || "";
  if (data.trace && data.trace.length) $("#chat").append(traceBlock(data.trace));
  for (const message of data.messages) addMessage(message);
  showHeld(data.conversation);
}

// How a typed answer was read and what decided the move, each with the line that declares it (explain.py).
const TRACE_KINDS = { emergency: "emergency", answer: "read as", account: "account", unclear: "unread", rule: "decided" };

function traceBlock(entries) {
  return element("div", { class: "trace" }, ...entries.map((entry) => element("div", { class: `trace-line ${entry.kind}` },
    element("span", { class: "trace-kind", text: TRACE_KINDS[entry.kind] || entry.kind }), ` ${entry.text} `,
    entry.at ? editorLink(entry.at) : null)));
}

function showHeld(conversation) {
  $("#try-where").replaceChildren(element("strong", { text: "at " }), element("code", { text: conversation.step }),
    ` · ${conversation.history.length} answered`);
  $("#try-answers").replaceChildren(...Object.entries(conversation.answers).map(([key, value]) =>
    element("tr", {}, element("td", { text: key }), element("td", { text: value }))));
}

$("#try-path").addEventListener("click", () => {
  if (!studio.chat) return;
  studio.flow = studio.chat.flow;
  renderFlows(studio.state);
  highlight(["flow_start", ...studio.chat.history, studio.chat.step]);
  show("flow");
});

function addMessage(message) {
  const bubble = element("div", { class: "msg bot", html: message.html });
  if (message.step) bubble.dataset.step = message.step;
  if (message.buttons.length) {
    const rows = element("div", { class: "buttons" });
    for (const row of message.buttons) {
      rows.append(element("div", {}, ...row.map((button) => element("button", {
        type: "button", text: button.label, "data-action": button.action, onclick: () => press(button, message.step),
      }))));
    }
    bubble.append(rows);
  }
  $("#chat").append(bubble);
  bubble.scrollIntoView({ block: "end" });
}

function said(text) {
  const bubble = element("div", { class: "msg person", text });
  $("#chat").append(bubble);
}

function chatNote(text) {
  $("#chat").append(element("div", { class: "msg bot error-text", text }));
}

function press(button, step) {
  said(button.label);
  if (button.action === "answer") trial({ kind: "pick", step, value: button.value }, { text: button.label });
  else if (button.action === "restart") trial({ kind: "restart" }, { command: "restart" });
  else trial({ kind: button.action });
}

function startTrial() {
  $("#chat").replaceChildren();
  studio.chat = null;
  studio.log = [];
  trial({ kind: "start" });
}

// "Write a case for this gap": Try it, answered by buttons along the shortest path to the gap's step.
function startAt(flow, step) {
  studio.reaching = true;
  show("try");
  studio.reaching = false;
  $("#chat").replaceChildren();
  studio.chat = null;
  studio.log = [];
  studio.tryFlow = flow;
  $("#try-flow").value = flow;
  trial({ kind: "reach", step });
}

$("#try-flow").addEventListener("change", (event) => { studio.tryFlow = event.target.value; startTrial(); });
$("#try-back").addEventListener("click", () => { said("/back"); trial({ kind: "back" }, { command: "back" }); });
$("#try-restart").addEventListener("click", () => { said("/restart"); trial({ kind: "restart" }, { command: "restart" }); });
$("#typed").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#typed-text");
  const text = input.value.trim();
  if (!text || !studio.chat) return;
  input.value = "";
  said(text);
  trial({ kind: "typed", text }, { text });
});

$("#save").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("#save-result");
  await queue;
  if (!studio.chat) return;
  const name = $("#case-name").value.trim() || `tried in the studio: ended at ${studio.chat.step} (${new Date().toLocaleString()})`;
  try {
    const saved = await api("/api/save", { name, conversation: studio.chat, log: studio.log });
    result.className = "";
    result.textContent = `Saved “${saved.name}” to ${saved.file} (${saved.form === "answers" ? "answers by step" : "inputs in order"}); it passes now.`;
  } catch (error) {
    result.className = "error-text";
    result.textContent = String(error.message);
  }
});

// --- tests and coverage ----------------------------------------------------------------------------------

// The tests run again on every good save (and on the button): one run at a time, the newest version next.
const tests = { running: false, again: false, version: null, timer: null };

const SETTLE_MS = 500;
// Saves often come in a burst (an editor's save-all, a quick fix after a typo): the tests wait for it to end.
function testsAfterSave(state) {
  if (!state.good_version || state.good_version === tests.version) return;
  clearTimeout(tests.timer);
  tests.timer = setTimeout(() => {
    if (tests.running) tests.again = true;
    else runTests();
  }, SETTLE_MS);
}

async function runTests() {
  tests.running = true;
  try {
    do {
      tests.again = false;
      await runTestsOnce();
    } while (tests.again);
  } finally {
    tests.running = false;
  }
}

$("#run-tests").addEventListener("click", () => { if (tests.running) tests.again = true; else runTests(); });

async function runTestsOnce() {
  const summary = $("#test-summary");
  summary.textContent = "running…";
  let report;
  try {
    report = await api("/api/tests", {});
  } catch (error) {
    summary.textContent = String(error.message);
    return;
  }
  tests.version = report.version;
  summary.textContent = `${report.passed} passed, ${report.failed} failed (version ${report.version}, run after each good save)`;
  summary.className = report.failed ? "error-text" : "";
  summary.dataset.version = report.version;
  const badge = $("#test-count");
  badge.textContent = report.failed ? `${report.failed} failed` : `${report.passed} passed`;
  badge.classList.toggle("errors", report.failed > 0);
  badge.hidden = false;
  $("#test-problems").replaceChildren(...report.problems.map((text) => element("p", { class: "error-text", text })));
  const ordered = [...report.results].sort((a, b) => a.passed - b.passed);
  $("#test-results").replaceChildren(...ordered.map((result) => element("li", { class: result.passed ? "pass" : "fail" },
    `${result.passed ? "PASS" : "FAIL"} ${result.name} `, editorLink(result.at),
    result.passed ? null : element("pre", { text: result.transcript }))));
  $("#corpora").replaceChildren(...report.corpora.map((corpus) => element("div", { class: "corpus" },
    element("h3", { text: `${corpus.passed ? "PASS" : "FAIL"} ${corpus.file}: language corpus` }),
    element("pre", { text: corpus.lines.join("\n") }))));
  $("#coverage").replaceChildren(...report.coverage.map((flow) => element("div", { class: "coverage" },
    element("h3", { text: `${flow.flow}: ${flow.cases} case(s)` }),
    element("table", {}, ...flow.counts.map((count) => element("tr", {},
      element("td", { text: `${count.kind}s` }), element("td", { text: `${count.reached} of ${count.total} reached` })))),
    flow.gaps.length
      ? element("div", {}, element("strong", { text: "Not reached by any case:" }), element("ul", { class: "gaps" },
        ...flow.gaps.map((gap) => element("li", {}, element("span", { class: "kind", text: gap.kind }), `${gap.name} `,
          editorLink(gap.at),
          gap.reach ? element("button", { type: "button", class: "write-case", text: "Write a case for this gap",
            title: `Try it, started at '${gap.reach}'`, onclick: () => startAt(flow.flow, gap.reach) }) : null))))
      : element("p", { text: flow.cases ? "Every part is reached by some case." : "No conversation cases for this flow." }))));
}

// --- start -------------------------------------------------------------------------------------------------

function listen() {
  const events = new EventSource("/api/events");
  events.onmessage = (event) => {
    if (!studio.state || String(studio.state.version) !== event.data) refresh();
  };
  events.onerror = () => { $("#live").textContent = "reconnecting…"; };
}

refresh().then(listen);
