// Konsol latihan: reads /api/state on every server-sent event, renders, and posts what the trainee does.
"use strict";
const $ = (s, el = document) => el.querySelector(s);
const esc = (t) => String(t ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const ROLE = { call_taker: "Call taker", supervisor: "Supervisor", admin: "Admin", responder: "Petugas" };
const KIND = { private: "Percakapan pribadi", call_takers: "Grup call taker", agency: "Grup instansi", supervisors: "Grup supervisor", group: "Grup lain" };
let S = null;
let actor = null;
let open = [];              // chat ids shown side by side, newest first
const seen = {};            // chat id -> highest message id already seen
const replyTo = {};         // chat id -> message id the next text replies to
let radioTab = null;
let loading = false, again = false;
const myTaps = new Set();

// One request at a time, in the order the trainee acted: a tap and the text typed right after it
// reach the server, and so the bot, in that order, as a Telegram client keeps them. Concurrent
// fetches may arrive either way round (the form then takes the address as the answer to a button).
let sending = Promise.resolve();
function api(path, body) {
  const run = sending.then(async () => {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!r.ok) { toast(await r.text()); throw new Error(path); }
    return r.json();
  });
  sending = run.catch(() => undefined);
  return run;
}
function toast(text) { const t = $("#toast"); t.textContent = text; t.classList.add("show"); clearTimeout(t._h); t._h = setTimeout(() => t.classList.remove("show"), 3500); }
const chatById = (id) => S.chats.find((c) => c.id === id);
// Only its owner writes in a private chat with the bot, whoever is being played elsewhere.
const sender = (chat) => (chat > 0 ? chat : actor);
const person = (id) => S.people.find((p) => p.id === id);

async function load() {
  if (loading) { again = true; return; }
  loading = true;
  try {
    const r = await fetch("/api/state");
    S = await r.json();
    render();
  } finally {
    loading = false;
    if (again) { again = false; load(); }
  }
}

function render() {
  if (actor === null && S.people.length) {
    // First load: the first call taker, in her private chat and the call takers' group.
    actor = S.people[0].id;
    open = [actor, ...S.chats.filter((c) => c.kind === "call_takers").map((c) => c.id)].slice(0, 3);
  }
  renderActor(); renderChats(); renderPanes(); renderRadio(); renderFaults(); renderScenario();
  for (const q of myTaps) if (S.answers[q] !== undefined) { myTaps.delete(q); if (S.answers[q]) toast(S.answers[q]); }
}

function renderActor() {
  const sel = $("#actor");
  const key = S.people.map((p) => p.id).join(",");
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    const groups = {};
    for (const p of S.people) (groups[p.role] ||= []).push(p);
    sel.innerHTML = Object.entries(groups).map(([role, ps]) => `<optgroup label="${esc(ROLE[role] || role)}">` +
      ps.map((p) => `<option value="${p.id}">${esc(p.name)}</option>`).join("") + "</optgroup>").join("");
  }
  sel.value = String(actor);
}

function unread(chat) { return chat.messages.filter((m) => m.id > (seen[chat.id] || 0) && m.from !== actor).length; }

function renderChats() {
  const byKind = {};
  for (const c of S.chats) {
    if (c.kind === "private" && !person(c.id)) continue;
    (byKind[c.kind] ||= []).push(c);
  }
  let html = "", key = "";
  const shown = [];
  for (const kind of ["call_takers", "supervisors", "agency", "private", "group"]) {
    if (!byKind[kind]) continue;
    html += `<h3>${esc(KIND[kind])}</h3>`;
    for (const c of byKind[kind]) {
      html += `<button type="button" class="chat-item" data-chat="${c.id}"><span>${esc(c.title)}</span></button>`;
      key += `${kind}:${c.id}:${c.title}\n`;
      shown.push(c);
    }
  }
  // Rebuilt only when the chats or their names change; badges and marks change in place. A list rebuilt
  // on every event lost clicks: the press landed on one button, the release on its copy, and no click.
  const box = $("#chats");
  if (box.dataset.key !== key) { box.dataset.key = key; box.innerHTML = html; }
  const buttons = box.querySelectorAll(".chat-item");
  shown.forEach((c, i) => {
    const b = buttons[i], isOpen = open.includes(c.id), n = isOpen ? 0 : unread(c);
    b.classList.toggle("open", isOpen);
    b.classList.toggle("left", Boolean(c.bot_left));
    let badge = b.querySelector(".unread");
    if (n && !badge) badge = b.appendChild(Object.assign(document.createElement("span"), { className: "unread" }));
    if (badge && !n) badge.remove();
    else if (badge && badge.textContent !== String(n)) badge.textContent = String(n);
  });
}

function openChat(id) {
  open = [id, ...open.filter((x) => x !== id)].slice(0, 3);
  const chat = chatById(id);
  if (chat && !chat.members.includes(actor) && chat.members.length) actor = chat.members[0];
  render();
}

function renderRadio() {
  const R = S.radio;
  $("#radio-status").textContent = R.channels.length ? (R.connected ? "Tersambung ke murmurd lokal" : "Radio terputus") : "Radio tidak berjalan";
  if (!radioTab && R.channels.length) radioTab = R.channels[0];
  const tabs = [...R.channels, ...new Set(R.feed.filter((p) => p.private).map((p) => p.channel))];
  // In place, as the chat list: a tab rebuilt between the press and the release is not clicked.
  const bar = $("#radio-tabs");
  if (bar.dataset.key !== tabs.join("\n")) {
    bar.dataset.key = tabs.join("\n");
    bar.innerHTML = tabs.map((c) => `<button type="button" data-radio-tab="${esc(c)}"></button>`).join("");
  }
  bar.querySelectorAll("button").forEach((b, i) => {
    const c = tabs[i], label = `${c} (${R.feed.filter((p) => p.channel === c).length})`;
    if (b.textContent !== label) b.textContent = label;
    b.classList.toggle("open", c === radioTab);
  });
  const feed = $("#radio-feed");
  const items = R.feed.filter((p) => p.channel === radioTab);
  const key = radioTab + ":" + items.length;
  if (feed.dataset.key !== key) {
    feed.dataset.key = key;
    feed.innerHTML = items.map((p) => `<li><b>${esc(p.sender)}</b>: ${p.html}` +
      (p.audio ? `<audio controls preload="auto" src="${p.audio}" data-seconds="${p.seconds}"></audio>` : "") + "</li>").join("");
    feed.scrollTop = feed.scrollHeight;
  }
  fillSelect($("#radio-user"), R.users.map((u) => [u, u]));
  fillSelect($("#radio-channel"), R.channels.map((c) => [c, c]));
}

function fillSelect(sel, pairs) {
  const key = pairs.map((p) => p[0]).join(",");
  if (sel.dataset.key === key) return;
  const value = sel.value;
  sel.dataset.key = key;
  sel.innerHTML = pairs.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  if (value) sel.value = value;
}

function renderFaults() {
  const F = S.faults;
  const outage = $("#f-outage"); outage.textContent = F.outage ? "Bot API pulihkan" : "Bot API mati"; outage.classList.toggle("on", F.outage);
  const radio = $("#f-radio"); radio.textContent = F.radio_down ? "Radio hidupkan" : "Radio mati"; radio.classList.toggle("on", F.radio_down);
  $("#refused").textContent = F.refused ? `Panggilan Bot API yang ditolak (502): ${F.refused}` : "";
  $("#fault-log").innerHTML = F.log.map((l) => `<li>${esc(l)}</li>`).join("");
}

function renderScenario() {
  const sc = S.scenario;
  const box = $("#scenario");
  if (!sc) { box.hidden = true; return; }
  box.hidden = false;
  box.innerHTML = `<h2>Skenario: ${esc(sc.title)}</h2><div class="hint">${esc(sc.status)}</div>` +
    sc.calls.map((c) => `<div class="call${c.done ? "" : " open"}" data-call="${esc(c.id)}"><b>📞 ${esc(c.phone)}</b>${c.caller ? ` · ${esc(c.caller)}` : ""}${c.where ? ` · ${esc(c.where)}` : ""}<br>“${esc(c.says)}”` +
      (c.score ? `<div class="hint">Nilai: ${c.score.points}/${c.score.max} ${esc(c.score.notes.join("; "))}</div>` : "") + "</div>").join("") +
    (sc.total ? `<p><b>Total: ${sc.total.points}/${sc.total.max}</b></p>` : "");
}

document.addEventListener("click", async (e) => {
  const t = e.target.closest("[data-tap],[data-loc],[data-reply],[data-close],[data-radio-tab],[data-unreply],[data-join],[data-leave],.chat-item");
  if (!t) return;
  if (t.dataset.join) {
    const name = prompt("Nama orang yang bergabung:");
    if (name) { const r = await api("/api/join", { name, chat_id: Number(t.dataset.join) }); actor = r.user_id; }
    return;
  }
  if (t.dataset.leave) { await api("/api/leave", { user_id: actor, chat_id: Number(t.dataset.leave) }); return; }
  if (t.dataset.close) { open = open.filter((x) => x !== Number(t.dataset.close)); render(); return; }
  if (t.dataset.radioTab) { radioTab = t.dataset.radioTab; renderRadio(); return; }
  if (t.dataset.unreply) { e.preventDefault(); delete replyTo[t.dataset.unreply]; renderPanes(); return; }
  const chat = Number(t.dataset.chat || t.dataset.loc);
  if (t.dataset.tap) {
    const r = await api("/api/tap", { user_id: sender(chat), chat_id: chat, message_id: Number(t.dataset.msg), data: t.dataset.tap });
    myTaps.add(r.query_id); return;
  }
  if (t.dataset.reply) { e.preventDefault(); replyTo[chat] = Number(t.dataset.reply); renderPanes(); $(`.pane[data-pane="${chat}"] input[name=text]`).focus(); return; }
  if (t.dataset.loc) {
    const form = t.closest("form");
    const k = S.kelurahan[form.kel.value];
    const lat = form.lat.value ? Number(form.lat.value) : k?.lat, lon = form.lon.value ? Number(form.lon.value) : k?.lon;
    if (lat === undefined || lon === undefined) { toast("Pilih kelurahan atau isi lintang dan bujur"); return; }
    await api("/api/location", { user_id: sender(chat), chat_id: chat, lat, lon }); return;
  }
  if (t.classList.contains("chat-item")) openChat(chat);
});

document.addEventListener("submit", async (e) => {
  const form = e.target;
  e.preventDefault();
  if (form.id === "radio-form") {
    await api("/api/radio/say", { user: $("#radio-user").value, channel: $("#radio-channel").value, text: $("#radio-text").value });
    $("#radio-text").value = ""; return;
  }
  const chat = Number(form.dataset.chat);
  const text = form.text.value.trim();
  if (!text) return;
  await api("/api/send", { user_id: sender(chat), chat_id: chat, text, reply_to: replyTo[chat] || null });
  form.text.value = ""; delete replyTo[chat]; renderPanes();
});

$("#actor").addEventListener("change", (e) => { actor = Number(e.target.value); if (!open.includes(actor)) openChat(actor); else render(); });
const target = () => open.find((id) => id < 0);
const fault = (kind, extra = {}) => api("/api/fault", { kind, ...extra });
$("#f-outage").onclick = () => fault("outage", { on: !S.faults.outage });
$("#f-429").onclick = () => fault("429");
$("#f-radio").onclick = () => fault("radio", { on: S.faults.radio_down });
for (const [id, kind] of [["#f-migrate", "migrate"], ["#f-kick", "kick"], ["#f-readd", "readd"]]) {
  $(id).onclick = () => {
    const chat = target();
    if (!chat) { toast("Buka dulu grup sasaran"); return; }
    const member = chatById(chat).members[0];
    fault(kind, { chat_id: chat, user_id: member });
  };
}

function connect() {
  const es = new EventSource("/api/events");
  es.onopen = () => { $("#conn").textContent = "langsung"; };
  es.onmessage = () => load();
  es.onerror = () => { $("#conn").textContent = "terputus, menyambung lagi…"; };
}
load().then(connect);
