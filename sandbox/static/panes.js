// Konsol latihan: the open chats side by side (panes). Loaded before console.js, whose state (S, actor,
// open, seen, replyTo) and helpers these functions read when they are called.
"use strict";

function messageHtml(chat, m) {
  if (m.service) return `<div class="msg service" data-id="${m.id}">${esc(m.sender)} ${esc(m.service)}</div>`;
  const mine = m.from === actor;
  let body = m.html;
  if (m.location) body += `📍 <a target="_blank" href="https://www.openstreetmap.org/?mlat=${m.location[0]}&mlon=${m.location[1]}">${m.location[0].toFixed(5)}, ${m.location[1].toFixed(5)}</a>`;
  if (m.photo) body += `<img alt="gambar dari bot" src="${m.photo}">`;
  if (m.document) body += `<div>📎 <a href="${m.document.url}" download="${esc(m.document.name)}">${esc(m.document.name)}</a></div>`;
  let quote = "";
  if (m.reply_to) { const q = chat.messages.find((x) => x.id === m.reply_to); if (q) quote = `<div class="quote">${esc(q.sender)}: ${q.html.replace(/<[^>]+>/g, "").slice(0, 80)}</div>`; }
  const kb = m.buttons.length ? `<div class="keyboard">${m.buttons.map((row) => `<div class="row">${row.map((b) => b.data ?
      `<button type="button" data-tap="${esc(b.data)}" data-msg="${m.id}" data-chat="${chat.id}">${esc(b.text)}</button>` :
      `<a href="${esc(b.url || "#")}" target="_blank">${esc(b.text)}</a>`).join("")}</div>`).join("")}</div>` : "";
  const force = m.force_reply ? `<div class="force">↩ Bot meminta balasan: <a href="#" data-reply="${m.id}" data-chat="${chat.id}">balas pesan ini</a></div>` : "";
  const time = new Date(m.date * 1000).toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Jakarta" });
  return `<div class="msg${mine ? " mine" : ""}" data-id="${m.id}"${m.deleted ? ' style="opacity:.4"' : ""}>` +
    `<div class="who">${esc(m.sender)}</div>${quote}<div class="body">${body}</div>${kb}${force}` +
    `<div class="meta">${m.edits ? "diubah · " : ""}${m.deleted ? "dihapus · " : ""}${time} · <a href="#" data-reply="${m.id}" data-chat="${chat.id}">balas</a></div></div>`;
}

function headHtml(chat) {
  const members = chat.members.map((id) => person(id)).filter(Boolean);
  return `<div class="pane-head"><span>${esc(chat.title)}${chat.bot_left ? " (bot dikeluarkan)" : ""}</span><span class="hint" style="margin:0">${members.length} anggota</span>${chat.id < 0 ? `<button type="button" data-join="${chat.id}" title="Orang baru bergabung lewat tautan undangan">+ orang</button><button type="button" data-leave="${chat.id}" title="Yang sedang diperankan keluar dari grup">keluar</button>` : ""}<button type="button" data-close="${chat.id}" aria-label="Tutup">✕</button></div>`;
}

function composerHtml(chat) {
  const r = replyTo[chat.id];
  const options = S.kelurahan.map((k, i) => `<option value="${i}">${esc(k.name)} (${esc(k.kecamatan)})</option>`).join("");
  return `<form class="composer" data-chat="${chat.id}">
      ${r ? `<div class="replying">↩ membalas pesan ${r} <a href="#" data-unreply="${chat.id}">batal</a></div>` : ""}
      <div class="line"><input type="text" name="text" list="commands" autocomplete="off" placeholder="Ketik sebagai ${esc(person(sender(chat.id))?.name || "")}…" aria-label="Pesan untuk ${esc(chat.title)}">
      <button type="submit">Kirim</button></div>
      <details class="loc"><summary>📍 Bagikan lokasi</summary><div class="locform">
        <select name="kel" aria-label="Kelurahan"><option value="">pilih kelurahan…</option>${options}</select>
        <input name="lat" placeholder="lintang" aria-label="Lintang"><input name="lon" placeholder="bujur" aria-label="Bujur">
        <button type="button" data-loc="${chat.id}">Kirim lokasi</button></div></details>
    </form>`;
}

function nodeOf(html) {
  const box = document.createElement("div");
  box.innerHTML = html;
  const node = box.firstElementChild;
  node._html = html;
  return node;
}

// A pane's head, each of its messages and its composer are replaced only when their own HTML changed:
// a card tapped while another message arrives in the chat keeps its buttons under the pointer (a
// replaced button between the press and the release gets no click).
function replaced(node, html) {
  if (node._html === html) return node;
  const fresh = nodeOf(html);
  node.replaceWith(fresh);
  return fresh;
}

function renderComposer(pane, chat) {
  const node = $(".composer", pane), html = composerHtml(chat);
  if (node._html === html) return;
  // Keep what the trainee was doing here: the draft, the location form, the focus.
  const keep = {};
  for (const f of node.querySelectorAll("input,select")) keep[f.name] = f.value;
  const wasOpen = node.querySelector("details.loc")?.open;
  const focus = node.contains(document.activeElement) ? document.activeElement.name : null;
  const form = replaced(node, html);
  for (const f of form.querySelectorAll("input,select")) if (keep[f.name] !== undefined) f.value = keep[f.name];
  if (wasOpen) $("details.loc", form).open = true;
  if (focus) $(`[name="${focus}"]`, form)?.focus();
}

function renderMessages(pane, chat) {
  const box = $(".messages", pane);
  const have = new Map([...box.children].map((n) => [n.dataset.id, n]));
  let prev = null, added = false;
  for (const m of chat.messages) {
    const html = messageHtml(chat, m);
    let node = have.get(String(m.id));
    if (node) { have.delete(String(m.id)); node = replaced(node, html); } else { node = nodeOf(html); added = true; }
    const at = prev ? prev.nextElementSibling : box.firstElementChild;
    if (at !== node) box.insertBefore(node, at);
    prev = node;
  }
  for (const gone of have.values()) gone.remove();
  if (added) { if (pressed) unscrolled.add(box); else box.scrollTop = box.scrollHeight; }
}

// Nothing scrolls under a pressed pointer: the release would land on another message or button.
let pressed = false;
const unscrolled = new Set();
document.addEventListener("pointerdown", () => { pressed = true; }, true);
for (const end of ["pointerup", "pointercancel"]) {
  document.addEventListener(end, () => {
    pressed = false;
    // After the click that this release makes, which is dispatched next.
    setTimeout(() => { for (const box of unscrolled) box.scrollTop = box.scrollHeight; unscrolled.clear(); });
  }, true);
}

function renderPanes() {
  open = open.filter((id) => chatById(id));
  const el = $("#panes");
  for (const id of open) {
    const chat = chatById(id);
    const top = chat.messages.length ? chat.messages[chat.messages.length - 1].id : 0;
    const asked = chat.messages.filter((m) => m.force_reply && m.id > (seen[id] || 0)).pop();
    if (asked) replyTo[id] = asked.id;
    seen[id] = top;
  }
  if (!open.length) { el.innerHTML = `<p class="hint">Pilih percakapan di kiri.</p>`; return; }
  el.querySelector("p.hint")?.remove();
  for (const old of el.querySelectorAll(".pane")) if (!open.includes(Number(old.dataset.pane))) old.remove();
  for (const id of open) {
    const chat = chatById(id);
    let pane = el.querySelector(`.pane[data-pane="${id}"]`);
    if (!pane) {
      pane = nodeOf(`<div class="pane" data-pane="${id}"><div class="pane-head"></div><div class="messages"></div><form class="composer"></form></div>`);
      el.appendChild(pane);
    }
    replaced($(".pane-head", pane), headHtml(chat));
    renderMessages(pane, chat);
    renderComposer(pane, chat);
  }
  // Newest first, left to right; moved only when the order changed (moving loses the focus).
  const order = open.map((id) => el.querySelector(`.pane[data-pane="${id}"]`));
  if (order.some((n, i) => el.children[i] !== n)) order.forEach((n) => el.appendChild(n));
  const list = document.getElementById("commands") || document.body.appendChild(Object.assign(document.createElement("datalist"), { id: "commands" }));
  const cmds = S.commands.map((c) => `<option value="/${esc(c.command)} ">${esc(c.description)}</option>`).join("");
  if (list.innerHTML !== cmds) list.innerHTML = cmds;
}
