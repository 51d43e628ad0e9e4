/**
 * MLC-LLM's `Conversation` (python/mlc_llm/protocol/conversation_protocol.py) as plain data.
 *
 * The key order of this type is the pydantic field order, which is the order in which MLC dumps the
 * template into `mlc-chat-config.json` (`conv_template`). `conversationFromSpec` builds objects in
 * exactly that order, so a plain JSON serializer reproduces MLC's bytes.
 */

/** The placeholders MLC substitutes when it assembles a prompt. */
export const PLACEHOLDERS = {
  system: '{system_message}',
  user: '{user_message}',
  assistant: '{assistant_message}',
  tool: '{tool_message}',
  function: '{function_string}',
} as const;

/** One message of the conversation history; `content: null` asks the model to speak next. */
export type ConversationMessage = [role: string, content: string | null];

export interface Conversation {
  name: string | null;
  system_template: string;
  system_message: string;
  system_prefix_token_ids: number[] | null;
  add_role_after_system_message: boolean;
  roles: Record<string, string>;
  role_templates: Record<string, string>;
  messages: ConversationMessage[];
  seps: string[];
  role_content_sep: string;
  role_empty_sep: string;
  stop_str: string[];
  stop_token_ids: number[];
  strip_reasoning_in_history: boolean;
  function_string: string;
  use_function_calling: boolean;
}

/** The 16 keys in MLC's dump order. */
export const CONVERSATION_KEYS: readonly (keyof Conversation)[] = [
  'name',
  'system_template',
  'system_message',
  'system_prefix_token_ids',
  'add_role_after_system_message',
  'roles',
  'role_templates',
  'messages',
  'seps',
  'role_content_sep',
  'role_empty_sep',
  'stop_str',
  'stop_token_ids',
  'strip_reasoning_in_history',
  'function_string',
  'use_function_calling',
];

/**
 * A template as its MLC source file writes it: the keyword arguments passed to `Conversation(...)`.
 * Everything not given takes MLC's default (see `conversationFromSpec`).
 */
export interface ConversationSpec {
  name: string;
  roles: Record<string, string>;
  seps: string[];
  system_template?: string;
  system_message?: string;
  system_prefix_token_ids?: number[] | null;
  add_role_after_system_message?: boolean;
  /** Per-template overrides; merged into the defaults like Python's `dict.update`. */
  role_templates?: Record<string, string>;
  role_content_sep?: string;
  role_empty_sep?: string;
  stop_str?: string[];
  stop_token_ids?: number[];
  strip_reasoning_in_history?: boolean;
  function_string?: string;
  use_function_calling?: boolean;
}

/**
 * Fills MLC's defaults in and fixes the key order. `role_templates` starts from
 * `{user, assistant, tool}` and is then updated, so overridden keys keep their default position and
 * new keys are appended (Python dict semantics). Every array and object is fresh, so callers may
 * mutate the result.
 */
export function conversationFromSpec(spec: ConversationSpec): Conversation {
  if (spec.seps.length < 1 || spec.seps.length > 2) {
    // MLC's pydantic validator rejects this too; it is a bug in our data, not user input.
    throw new Error(`conversation template ${spec.name}: seps should have size 1 or 2`);
  }
  const roleTemplates: Record<string, string> = {
    user: PLACEHOLDERS.user,
    assistant: PLACEHOLDERS.assistant,
    tool: PLACEHOLDERS.tool,
  };
  for (const [role, template] of Object.entries(spec.role_templates ?? {})) roleTemplates[role] = template;
  return {
    name: spec.name,
    system_template: spec.system_template ?? PLACEHOLDERS.system,
    system_message: spec.system_message ?? '',
    system_prefix_token_ids: spec.system_prefix_token_ids ? [...spec.system_prefix_token_ids] : null,
    add_role_after_system_message: spec.add_role_after_system_message ?? true,
    roles: { ...spec.roles },
    role_templates: roleTemplates,
    messages: [],
    seps: [...spec.seps],
    role_content_sep: spec.role_content_sep ?? '',
    role_empty_sep: spec.role_empty_sep ?? '',
    stop_str: [...(spec.stop_str ?? [])],
    stop_token_ids: [...(spec.stop_token_ids ?? [])],
    strip_reasoning_in_history: spec.strip_reasoning_in_history ?? false,
    function_string: spec.function_string ?? '',
    use_function_calling: spec.use_function_calling ?? false,
  };
}
