// The local console's page: renders the channel as Slack would (Block Kit, messages updated in
// place, ephemeral messages only for their member) and sends commands and clicks as that member.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const view = { member: params.get('as') ?? '', channel: params.get('channel') ?? '', revision: undefined, state: undefined };

const EMOJI = {
  white_check_mark: '✅',
  x: '❌',
  warning: '⚠️',
  hourglass_flowing_sand: '⏳',
  arrows_counterclockwise: '🔄',
  white_circle: '⚪',
  rotating_light: '🚨',
  repeat: '🔁',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  alarm_clock: '⏰',
  large_green_circle: '🟢',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  heavy_check_mark: '✔️',
  information_source: 'ℹ️',
  lock: '🔒',
  key: '🔑',
  rocket: '🚀',
  stopwatch: '⏱️',
  gear: '⚙️',
  package: '📦',
  bell: '🔔',
  mag: '🔍',
  memo: '📝',
};

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const emoji = (name) => EMOJI[name] ?? `:${name}:`;
const memberName = (id) => view.state?.members.find((m) => m.id === id)?.name ?? id;

/** Slack's mrkdwn: escapes first, then the few constructs Slack formats. */
function mrkdwn(text) {
  const blocks = [];
  let html = escapeHtml(text).replace(/```([\s\S]*?)```/g, (_, code) => {
    blocks.push(`<pre>${code.replace(/^\n/, '')}</pre>`);
    return `\u0000${blocks.length - 1}\u0000`;
  });
  const codes = [];
  html = html.replace(/`([^`\n]+)`/g, (_, code) => {
    codes.push(`<code>${code}</code>`);
    return `\u0001${codes.length - 1}\u0001`;
  });
  html = html
    .replace(/&lt;(https?:\/\/[^|&]+?)\|([^&]+?)&gt;/g, '<a href="$1" target="_blank" rel="noopener">$2</a>')
    .replace(/&lt;(https?:\/\/[^&]+?)&gt;/g, '<a href="$1" target="_blank" rel="noopener">$1</a>')
    .replace(/&lt;@([A-Z0-9]+)(?:\|[^&]*)?&gt;/g, (_, id) => `<b>@${escapeHtml(memberName(id))}</b>`)
    .replace(/&lt;#([A-Z0-9]+)(?:\|([^&]*))?&gt;/g, (_, id, label) => `<b>#${label ?? id}</b>`)
    .replace(/&lt;!(here|channel|everyone)&gt;/g, '<b>@$1</b>')
    .replace(/&lt;!date\^(\d+)\^[^|&]*(?:\|[^&]*)?&gt;/g, (_, secs) => escapeHtml(new Date(Number(secs) * 1000).toLocaleString()))
    .replace(/&lt;!subteam\^([A-Z0-9]+)(?:\|([^&]*))?&gt;/g, (_, id, label) => `<b>${label ?? `@${id}`}</b>`)
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/gm, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/gm, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/gm, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (_, name) => emoji(name))
    .replace(/^&gt; ?(.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(/\n/g, '<br>');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: \u0000 and \u0001 mark placeholders this function put in itself.
  return html.replace(/\u0001(\d+)\u0001/g, (_, i) => codes[i]).replace(/\u0000(\d+)\u0000/g, (_, i) => blocks[i]);
}

const textObject = (t) =>
  t === undefined
    ? ''
    : t.type === 'mrkdwn'
      ? mrkdwn(t.text)
      : escapeHtml(t.text).replace(/:([a-z0-9_+-]+):/g, (_, n) => (t.emoji === false ? `:${n}:` : emoji(n)));

function element(el, blockId) {
  switch (el.type) {
    case 'button': {
      const style = el.style === 'primary' || el.style === 'danger' ? ` ${el.style}` : '';
      const data = {
        action: el.action_id,
        block: blockId,
        confirm: el.confirm === undefined ? '' : (el.confirm.text?.text ?? 'Are you sure?'),
        ...(el.value === undefined ? {} : { value: el.value }),
      };
      const attrs = Object.entries(data)
        .map(([k, v]) => `data-${k}="${escapeHtml(v)}"`)
        .join(' ');
      if (el.url !== undefined)
        return `<a class="bk${style}" href="${escapeHtml(el.url)}" target="_blank" rel="noopener">${textObject(el.text)}</a>`;
      return `<button type="button" class="bk${style}" ${attrs}>${textObject(el.text)}</button>`;
    }
    case 'image':
      return `<img src="${escapeHtml(el.image_url)}" alt="${escapeHtml(el.alt_text ?? '')}">`;
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textObject(el)}</span>`;
    default:
      return (
        `<button type="button" class="bk" disabled title="${escapeHtml(el.type)} is shown but not interactive here">` +
        `${escapeHtml(el.placeholder?.text ?? el.type)}</button>`
      );
  }
}

function richInline(el) {
  const style = el.style ?? {};
  let html;
  switch (el.type) {
    case 'text':
      html = escapeHtml(el.text).replace(/\n/g, '<br>');
      break;
    case 'link':
      html = `<a href="${escapeHtml(el.url)}" target="_blank" rel="noopener">${escapeHtml(el.text ?? el.url)}</a>`;
      break;
    case 'user':
      html = `<b>@${escapeHtml(memberName(el.user_id))}</b>`;
      break;
    case 'channel':
      html = `<b>#${escapeHtml(el.channel_id)}</b>`;
      break;
    case 'usergroup':
      html = `<b>@${escapeHtml(el.usergroup_id)}</b>`;
      break;
    case 'broadcast':
      html = `<b>@${escapeHtml(el.range)}</b>`;
      break;
    case 'emoji':
      html = emoji(el.name);
      break;
    default:
      html = '';
  }
  if (style.code) html = `<code>${html}</code>`;
  if (style.bold) html = `<b>${html}</b>`;
  if (style.italic) html = `<i>${html}</i>`;
  if (style.strike) html = `<s>${html}</s>`;
  return html;
}

function richText(el) {
  const inner = (el.elements ?? []).map((e) => (e.type?.startsWith('rich_text_') ? richText(e) : richInline(e))).join('');
  switch (el.type) {
    case 'rich_text_preformatted':
      return `<pre>${inner}</pre>`;
    case 'rich_text_quote':
      return `<blockquote>${inner}</blockquote>`;
    case 'rich_text_list': {
      const tag = el.style === 'ordered' ? 'ol' : 'ul';
      return `<${tag}>${(el.elements ?? []).map((item) => `<li>${richText(item)}</li>`).join('')}</${tag}>`;
    }
    default:
      return `<div>${inner}</div>`;
  }
}

function block(b, i) {
  const blockId = b.block_id ?? `emulated-block-${i}`;
  switch (b.type) {
    case 'header':
      return `<div class="block header">${textObject(b.text)}</div>`;
    case 'divider':
      return '<hr class="block">';
    case 'section': {
      const fields =
        b.fields === undefined ? '' : `<div class="fields">${b.fields.map((f) => `<div>${textObject(f)}</div>`).join('')}</div>`;
      const accessory = b.accessory === undefined ? '' : `<div class="accessory">${element(b.accessory, blockId)}</div>`;
      return `<div class="block section"><div class="text">${textObject(b.text)}${fields}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="block context">${(b.elements ?? []).map((e) => element(e, blockId)).join('')}</div>`;
    case 'actions':
      return `<div class="block actions">${(b.elements ?? []).map((e) => element(e, blockId)).join('')}</div>`;
    case 'image': {
      const caption = b.title === undefined ? '' : `<figcaption>${textObject(b.title)}</figcaption>`;
      const img = `<img src="${escapeHtml(b.image_url)}" alt="${escapeHtml(b.alt_text ?? '')}">`;
      return `<figure class="block image">${caption}${img}</figure>`;
    }
    case 'rich_text':
      return `<div class="block rich-text">${(b.elements ?? []).map(richText).join('')}</div>`;
    default:
      return `<div class="block muted">[${escapeHtml(b.type)} block]</div>`;
  }
}

function message(m) {
  const body =
    m.blocks !== undefined && m.blocks.length > 0 ? m.blocks.map(block).join('') : `<div class="block">${mrkdwn(m.text ?? '')}</div>`;
  const time = new Date(m.postedAt).toLocaleTimeString();
  const edited = m.edited ? ' <span class="edited">(edited)</span>' : '';
  const onlyYou = m.ephemeral ? ' <span class="only-you">Only visible to you</span>' : '';
  const tags = `${edited}${onlyYou}`;
  return `<article class="message${m.ephemeral ? ' ephemeral' : ''}" data-ts="${escapeHtml(m.ts)}" data-testid="message">
    <div class="avatar">F</div>
    <div class="body"><div class="meta"><b>fabric</b><span class="muted">${time}</span>${tags}</div>${body}</div>
  </article>`;
}

function render() {
  const s = view.state;
  if (s === undefined) return;
  if (!s.members.some((m) => m.id === view.member)) view.member = s.members[0]?.id ?? '';
  if (!s.channels.some((c) => c.id === view.channel)) view.channel = s.channels[0]?.id ?? '';
  history.replaceState(null, '', `?as=${encodeURIComponent(view.member)}&channel=${encodeURIComponent(view.channel)}`);

  const select = $('member');
  if (select.options.length !== s.members.length) {
    select.innerHTML = s.members
      .map((m) => `<option value="${escapeHtml(m.id)}">${escapeHtml(m.name)} — ${escapeHtml(m.description)}</option>`)
      .join('');
  }
  select.value = view.member;
  $('member-description').textContent = s.members.find((m) => m.id === view.member)?.description ?? '';
  $('channels').innerHTML = s.channels
    .map((c) => `<a href="#" data-channel="${escapeHtml(c.id)}" class="${c.id === view.channel ? 'active' : ''}"># ${escapeHtml(c.id)}</a>`)
    .join('');
  const channel = s.channels.find((c) => c.id === view.channel);
  $('channel-name').textContent = `# ${view.channel}`;
  $('channel-purpose').textContent = channel?.purpose ?? '';
  $('problems').hidden = s.problems.length === 0;
  $('problems').textContent = `${s.problems.length} Slack contract problem(s): ${s.problems.at(-1) ?? ''}`;
  $('help-lines').textContent = s.help.join('\n');
  $('command-help').innerHTML = s.help.map((h) => `<option value="${escapeHtml(h.replace(/\s+\[.*$/, ''))}">`).join('');
  $('command').placeholder = `${s.command} help`;

  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.innerHTML = s.messages
    .filter((m) => m.channel === view.channel)
    .sort((a, b) => Number(a.ts) - Number(b.ts))
    .map(message)
    .join('');
  if (atBottom) list.scrollTop = list.scrollHeight;
}

async function fetchState(wait) {
  const member = view.member;
  const since = wait && view.revision !== undefined ? `&since=${view.revision}` : '';
  const res = await fetch(`/console/api/state?user=${encodeURIComponent(member)}${since}`);
  if (!res.ok) throw new Error(`state: ${res.status}`);
  const state = await res.json();
  // A long poll started before the member was switched answers for the previous member.
  if (member !== view.member) return;
  view.state = state;
  view.revision = view.state.revision;
  render();
}

async function poll() {
  for (;;) {
    try {
      await fetchState(true);
    } catch {
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `${path}: ${res.status}`);
  if (answer.status !== 200) throw new Error(`the bot answered HTTP ${answer.status}`);
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('command');
  const text = input.value.trim();
  if (text === '') return;
  $('composer-error').textContent = '';
  try {
    await post('/console/api/command', { user: view.member, channel: view.channel, text });
    input.value = '';
  } catch (err) {
    $('composer-error').textContent = err.message;
  }
});

$('messages').addEventListener('click', async (event) => {
  const button = event.target.closest('button.bk[data-action]');
  if (button === null) return;
  if (button.dataset.confirm !== '' && !confirm(button.dataset.confirm)) return;
  const ts = button.closest('.message').dataset.ts;
  button.disabled = true;
  try {
    await post('/console/api/click', {
      user: view.member,
      channel: view.channel,
      ts,
      actionId: button.dataset.action,
      value: button.dataset.value,
      blockId: button.dataset.block,
    });
    $('composer-error').textContent = '';
  } catch (err) {
    $('composer-error').textContent = err.message;
  } finally {
    button.disabled = false;
  }
});

$('member').addEventListener('change', (event) => {
  view.member = event.target.value;
  void fetchState(false);
});

$('channels').addEventListener('click', (event) => {
  const link = event.target.closest('a[data-channel]');
  if (link === null) return;
  event.preventDefault();
  view.channel = link.dataset.channel;
  render();
});

await fetchState(false).catch(() => undefined);
void poll();
