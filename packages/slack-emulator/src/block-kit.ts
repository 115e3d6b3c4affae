/**
 * Block Kit validation as Slack applies it to chat.postMessage, chat.update, chat.postEphemeral
 * and response_url posts. Each problem is reported like Slack does:
 *   "<message> [json-pointer:/blocks/N/...]"
 * Limits from Slack's Block Kit reference (see shared/research/slack_contract.md §6).
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const BLOCK_TYPES = new Set(['section', 'header', 'context', 'divider', 'actions', 'image', 'rich_text', 'input', 'file', 'video']);
const RICH_TEXT_ELEMENTS = new Set(['rich_text_section', 'rich_text_list', 'rich_text_quote', 'rich_text_preformatted']);

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
} as const;

function textObject(t: unknown, at: string, max: number, errors: string[], plainOnly = false): void {
  if (!isObject(t)) {
    errors.push(`must provide an object [json-pointer:${at}]`);
    return;
  }
  const type = str(t.type);
  if (type !== 'plain_text' && (plainOnly || type !== 'mrkdwn')) {
    errors.push(`must be ${plainOnly ? 'plain_text' : 'plain_text or mrkdwn'} [json-pointer:${at}/type]`);
  }
  const text = str(t.text);
  if (text === undefined || text.length === 0) errors.push(`must be more than 0 characters [json-pointer:${at}/text]`);
  else if (text.length > max) errors.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

function checkId(value: unknown, at: string, errors: string[]): void {
  const s = str(value);
  if (s !== undefined && s.length > LIMITS.id) errors.push(`must be less than ${LIMITS.id + 1} characters [json-pointer:${at}]`);
}

function element(el: unknown, at: string, errors: string[]): void {
  if (!isObject(el)) {
    errors.push(`must provide an object [json-pointer:${at}]`);
    return;
  }
  checkId(el.action_id, `${at}/action_id`, errors);
  if (el.type === 'button') {
    textObject(el.text, `${at}/text`, LIMITS.buttonText, errors, true);
    const value = str(el.value);
    if (value !== undefined && value.length > LIMITS.buttonValue) {
      errors.push(`must be less than ${LIMITS.buttonValue + 1} characters [json-pointer:${at}/value]`);
    }
    const url = str(el.url);
    if (url !== undefined && url.length > LIMITS.buttonUrl) {
      errors.push(`must be less than ${LIMITS.buttonUrl + 1} characters [json-pointer:${at}/url]`);
    }
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
      errors.push(`must be one of primary, danger [json-pointer:${at}/style]`);
    }
  }
}

function richText(block: Json, at: string, errors: string[]): void {
  const elements = block.elements;
  if (!Array.isArray(elements)) {
    errors.push(`must provide an array [json-pointer:${at}/elements]`);
    return;
  }
  elements.forEach((el, i) => {
    if (!isObject(el) || !RICH_TEXT_ELEMENTS.has(str(el.type) ?? '')) {
      errors.push(`must be a valid rich text element [json-pointer:${at}/elements/${i}]`);
    } else if (!Array.isArray(el.elements)) {
      errors.push(`must provide an array [json-pointer:${at}/elements/${i}/elements]`);
    }
  });
}

function block(b: unknown, at: string, errors: string[]): void {
  if (!isObject(b)) {
    errors.push(`must provide an object [json-pointer:${at}]`);
    return;
  }
  checkId(b.block_id, `${at}/block_id`, errors);
  const type = str(b.type) ?? '';
  if (!BLOCK_TYPES.has(type)) {
    errors.push(`unsupported type: ${type || '(none)'} [json-pointer:${at}/type]`);
    return;
  }
  switch (type) {
    case 'section': {
      if (b.text === undefined && b.fields === undefined) errors.push(`must provide either text or fields [json-pointer:${at}]`);
      if (b.text !== undefined) textObject(b.text, `${at}/text`, LIMITS.sectionText, errors);
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields)) errors.push(`must provide an array [json-pointer:${at}/fields]`);
        else {
          if (b.fields.length > LIMITS.fields) errors.push(`no more than ${LIMITS.fields} items allowed [json-pointer:${at}/fields]`);
          b.fields.forEach((f, i) => {
            textObject(f, `${at}/fields/${i}`, LIMITS.fieldText, errors);
          });
        }
      }
      if (b.accessory !== undefined) element(b.accessory, `${at}/accessory`, errors);
      break;
    }
    case 'header':
      textObject(b.text, `${at}/text`, LIMITS.headerText, errors, true);
      break;
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0) {
        errors.push(`must provide a non-empty array [json-pointer:${at}/elements]`);
      } else {
        if (b.elements.length > LIMITS.contextElements) {
          errors.push(`no more than ${LIMITS.contextElements} items allowed [json-pointer:${at}/elements]`);
        }
        b.elements.forEach((e, i) => {
          if (isObject(e) && e.type === 'image') {
            if (str(e.image_url) === undefined || str(e.alt_text) === undefined) {
              errors.push(`image requires image_url and alt_text [json-pointer:${at}/elements/${i}]`);
            }
          } else textObject(e, `${at}/elements/${i}`, LIMITS.fieldText, errors);
        });
      }
      break;
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0) {
        errors.push(`must provide a non-empty array [json-pointer:${at}/elements]`);
      } else {
        if (b.elements.length > LIMITS.actionsElements) {
          errors.push(`no more than ${LIMITS.actionsElements} items allowed [json-pointer:${at}/elements]`);
        }
        b.elements.forEach((e, i) => {
          element(e, `${at}/elements/${i}`, errors);
        });
      }
      break;
    case 'image':
      if (str(b.image_url) === undefined && !isObject(b.slack_file)) errors.push(`must provide image_url [json-pointer:${at}/image_url]`);
      if (str(b.alt_text) === undefined) errors.push(`must provide alt_text [json-pointer:${at}/alt_text]`);
      break;
    case 'rich_text':
      richText(b, at, errors);
      break;
    default:
      break;
  }
}

/** The problems Slack would report for these blocks; empty when valid. Messages take 50 blocks, modals 100. */
export function validateBlocks(blocks: unknown, maxBlocks: number = LIMITS.blocks): string[] {
  const errors: string[] = [];
  if (!Array.isArray(blocks)) return [`must provide an array [json-pointer:/blocks]`];
  if (blocks.length > maxBlocks) errors.push(`no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  const seen = new Set<string>();
  blocks.forEach((b, i) => {
    block(b, `/blocks/${i}`, errors);
    const id = isObject(b) ? str(b.block_id) : undefined;
    if (id !== undefined) {
      if (seen.has(id)) errors.push(`block_id must be unique [json-pointer:/blocks/${i}/block_id]`);
      seen.add(id);
    }
  });
  return errors;
}
