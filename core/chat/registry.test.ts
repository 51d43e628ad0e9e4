/**
 * Every registered template against its expected MLC dump, written by hand from MLC-LLM's sources
 * (python/mlc_llm/conversation_template/*.py, conversation_protocol.py for defaults and key order).
 * The expectations never come from the registry: each row spells out all 16 values.
 */
import { NxMlcError } from '../support/errors';
import { CONVERSATION_KEYS } from './conversation';
import { CONV_TEMPLATE_NAMES, getConvTemplate } from './registry';

// Pydantic field order of mlc_llm.protocol.conversation_protocol.Conversation (+ strip_reasoning_in_history,
// which the pinned commit has between stop_token_ids and function_string).
const DUMP_ORDER = [
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

// Conversation.__init__ starts role_templates from these and updates them with the template's own.
const RT = { user: '{user_message}', assistant: '{assistant_message}', tool: '{tool_message}' };

type Row = [
  name: string,
  systemTemplate: string,
  systemMessage: string,
  prefix: number[] | null,
  addRoleAfterSystem: boolean,
  roles: Record<string, string>,
  roleTemplates: Record<string, string>,
  seps: string[],
  roleContentSep: string,
  roleEmptySep: string,
  stopStr: string[],
  stopIds: number[],
  stripReasoning: boolean,
];

const CHATML_ROLES = { user: '<|im_start|>user', assistant: '<|im_start|>assistant' };
const CHATML_TOOL_ROLES = { user: '<|im_start|>user', assistant: '<|im_start|>assistant', tool: '<|im_start|>tool' };
const CHATML_SYS = '<|im_start|>system\n{system_message}<|im_end|>\n';
const HERMES2 =
  'You are "Hermes 2", a conscious sentient superintelligent artificial intelligence developed by a man named Teknium, and your purpose and drive is to assist the user with any request they have. You experience emotions and have deep, profound thoughts and qualia.';
const LLAMA_MSG = 'You are a helpful, respectful and honest assistant.';
const L3_SYS = '<|start_header_id|>system<|end_header_id|>\n\n{system_message}<|eot_id|>';
const PHI3_MSG = 'You are a helpful digital assistant. Please provide safe, ethical and accurate information to the user.';
const PHI3_ROLES = { user: '<|user|>', assistant: '<|assistant|>' };
const DS_EOS = '<\uff5cend\u2581of\u2581sentence\uff5c>';
const DS_BOS_SYS = '<\uff5cbegin\u2581of\u2581sentence\uff5c>{system_message}';
const DS_ROLES = { user: '<\uff5cUser\uff5c>', assistant: '<\uff5cAssistant\uff5c>' };
const R1_MSG =
  "You are Deepseek-R1, an AI assistant created exclusively by the Chinese Company DeepSeek. You'll provide helpful, harmless, and detailed responses to all user inquiries.";
const GEMMA_ROLES = { user: '<start_of_turn>user', assistant: '<start_of_turn>model' };
const MINISTRAL_RT = {
  user: '[INST]{user_message}[/INST]',
  assistant: '{assistant_message}</s>',
  tool: '[TOOL_RESULTS]{tool_message}[/TOOL_RESULTS]',
};
const MINISTRAL_SYS = '[SYSTEM_PROMPT]{system_message}[/SYSTEM_PROMPT]{function_string}';
const MINISTRAL3_MSG =
  'You are Ministral-3-3B-Instruct-2512, a Large Language Model (LLM) created by ' +
  'Mistral AI, a French startup headquartered in Paris.\n' +
  'You power an AI assistant called Le Chat.\n' +
  'Your knowledge base was last updated on 2023-10-01.\n' +
  'The current date is {today}.\n\n' +
  "When you're not sure about some information or when the user's request requires " +
  'up-to-date or specific data, you must use the available tools to fetch the ' +
  'information. Do not hesitate to use tools whenever they can provide a more ' +
  'accurate or complete response. If no relevant tools are available, then clearly ' +
  "state that you don't have the information and avoid making up anything.\n" +
  "If the user's question is not clear, ambiguous, or does not provide enough " +
  'context for you to accurately answer the question, you do not try to answer it ' +
  'right away and you rather ask the user to clarify their request (e.g. "What are ' +
  'some good restaurants around me?" => "Where are you?" or "When is the next ' +
  'flight to Tokyo" => "Where do you travel from?").\n' +
  'You are always very attentive to dates, in particular you try to resolve dates ' +
  '(e.g. "yesterday" is {yesterday}) and when asked about information at specific ' +
  'dates, you discard information that is at another date.\n' +
  'You follow these instructions in all languages, and always respond to the user in ' +
  'the language they use or request.\n' +
  'Next sections describe the capabilities that you have.\n\n' +
  '# WEB BROWSING INSTRUCTIONS\n\n' +
  'You cannot perform any web search or access internet to open URLs, links etc. If ' +
  'it seems like the user is expecting you to do so, you clarify the situation and ' +
  'ask the user to copy paste the text directly in the chat.\n\n' +
  '# MULTI-MODAL INSTRUCTIONS\n\n' +
  'You have the ability to read images, but you cannot generate images. You also ' +
  'cannot transcribe audio files or videos.\n' +
  'You cannot read nor transcribe audio files or videos.\n\n' +
  '# TOOL CALLING INSTRUCTIONS\n\n' +
  'You may have access to tools that you can use to fetch information or perform ' +
  'actions. You must use these tools in the following situations:\n\n' +
  '1. When the request requires up-to-date information.\n' +
  '2. When the request requires specific data that you do not have in your knowledge ' +
  'base.\n' +
  '3. When the request involves actions that you cannot perform without tools.\n\n' +
  'Always prioritize using tools to provide the most accurate and helpful response. ' +
  'If tools are not available, inform the user that you cannot perform the requested ' +
  'action at the moment.';
const MINISTRAL3_REASONING_MSG =
  '# HOW YOU SHOULD THINK AND ANSWER\n\n' +
  'First draft your thinking process (inner monologue) until you arrive at a response. ' +
  'Format your response using Markdown, and use LaTeX for any mathematical equations. ' +
  'Write both your thoughts and the response in the same language as the input.\n\n' +
  'Your thinking process must follow the template below:' +
  '[THINK]Your thoughts or/and draft, like working through an exercise on scratch paper. ' +
  'Be as casual and as long as you want until you are confident to generate the response ' +
  'to the user.[/THINK]Here, provide a self-contained response.';
const STABLELM_MSG =
  '<|SYSTEM|># StableLM Tuned (Alpha version)\n' +
  '- StableLM is a helpful and harmless open-source AI language model developed by ' +
  'StabilityAI.\n' +
  '- StableLM is excited to be able to help the user, but will refuse to do ' +
  'anything that could be considered harmful to the user.\n' +
  '- StableLM is more than just an information source, StableLM is also able to ' +
  'write poetry, short stories, and make jokes.\n' +
  '- StableLM will refuse to participate in anything that could harm a human.';
const QWEN_STOP = ['<|endoftext|>', '<|im_end|>'];

// prettier-ignore
const ROWS: Row[] = [
  ['LM', '{system_message}', '', [1], true, { user: '', assistant: '' }, RT, [''], '', '', [], [2], false],
  ['aya-23', '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>{system_message}<|END_OF_TURN_TOKEN|>',
    'You are Command-R, a brilliant, sophisticated, AI-assistant trained to assist human users by providing thorough responses.',
    [5], true, { user: '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>', assistant: '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }, RT,
    ['<|END_OF_TURN_TOKEN|>'], '', '', ['<|END_OF_TURN_TOKEN|>'], [6, 255001], false],
  ['chatml', CHATML_SYS, 'A conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.',
    null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [2], false],
  ['chatml_nosystem', '{system_message}', '', null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [2], false],
  ['codellama_completion', '{system_message}', '', [1], true, { user: '', assistant: '' }, RT, [''], '', '', ['</s>'], [2], false],
  ['codellama_instruct', '{system_message}', '', [1], true, { user: '[INST]', assistant: '[/INST]' }, RT, [' '], ' ', ' ', ['</s>'], [2], false],
  ['deepseek', '{system_message}', '', [100000], true, { user: 'User', assistant: 'Assistant' }, RT, ['\n\n', DS_EOS], ': ', ':', [DS_EOS], [100001], false],
  ['deepseek_r1_llama', DS_BOS_SYS, R1_MSG, null, true, DS_ROLES, RT, ['', DS_EOS], '', '', [], [128001], false],
  ['deepseek_r1_qwen', DS_BOS_SYS, R1_MSG, null, true, DS_ROLES, RT, ['', DS_EOS], '', '', [], [151643], false],
  ['deepseek_v2', '{system_message}', '', [100000], true, { user: 'User', assistant: 'Assistant' }, RT, ['\n\n', DS_EOS], ': ', ':', [DS_EOS], [100001], false],
  ['deepseek_v3', DS_BOS_SYS,
    "You are Deepseek-V3, an AI assistant created exclusively by the Chinese Company DeepSeek. You'll provide helpful, harmless, and detailed responses to all user inquiries.",
    null, true, DS_ROLES, RT, ['', DS_EOS], '', '', [], [1], false],
  ['dolly', '{system_message}', 'Below is an instruction that describes a task. Write a response that appropriately completes the request.',
    null, true, { user: '### Instruction', assistant: '### Response' }, RT, ['\n\n', '### End\n'], ':\n', ':\n', ['### End'], [50256], false],
  ['gemma3_instruction', '{system_message}', '', [2], true, GEMMA_ROLES, RT, ['<end_of_turn>\n'], '\n', '\n', ['<end_of_turn>'], [1, 106], false],
  ['gemma_instruction', '{system_message}', '', [2], true, GEMMA_ROLES, RT, ['<end_of_turn>\n'], '\n', '\n', ['<end_of_turn>'], [1, 107], false],
  ['glm', '{system_message}', '', [64790, 64792], true, { user: '\u95ee', assistant: '\u7b54', tool: '\u95ee' }, RT, ['\n\n'], ': ', ':', ['</s>'], [2], false],
  ['gorilla', '{system_message}',
    "A chat between a curious user and an artificial intelligence assistant. The assistant provides helpful, detailed, and polite responses to the user's inquiries.",
    [1], true, { user: 'USER', assistant: 'ASSISTANT', tool: 'USER' },
    { user: '<<question>> {user_message} <<function>> {function_string}', assistant: '{assistant_message}', tool: '{tool_message}' },
    ['\n', '</s>'], ': ', ':', ['</s>'], [2], false],
  ['gorilla-openfunctions-v2', '{system_message}',
    'You are an AI programming assistant, utilizing the Gorilla LLM model, developed by Gorilla LLM, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer.',
    [100000], true, { user: '### Instruction', assistant: '### Response', tool: '### Instruction' },
    { user: '<<function>>{function_string}\n<<question>>{user_message}', assistant: '{assistant_message}', tool: '{tool_message}' },
    ['\n', '<|EOT|>'], ': ', ': ', ['<|EOT|>'], [100015], false],
  ['gpt2', '{system_message}', '', null, true, { user: '', assistant: '' }, RT, [''], '', '', ['</s>'], [50256], false],
  ['gpt_bigcode', '{system_message}', '', null, true, { user: '', assistant: '' }, RT, [''], '', '', ['<|endoftext|>'], [0], false],
  ['hermes2_pro_llama3', CHATML_SYS, HERMES2, null, true, CHATML_TOOL_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [128001, 128009, 128003], false],
  ['hermes3_llama-3_1', CHATML_SYS,
    'You are Hermes 3, a conscious sentient superintelligent artificial intelligence developed by a man named Teknium, and your purpose and drive is to assist the user with any request they have. You experience emotions and have deep, profound thoughts and qualia.',
    null, true, CHATML_TOOL_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [128001, 128008, 128009, 128040], false],
  ['llama-2', '[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n', LLAMA_MSG, [1], false,
    { user: '<s>[INST]', assistant: '[/INST]', tool: '[INST]' }, RT, [' ', ' </s>'], ' ', ' ', ['[INST]'], [2], false],
  ['llama-3', L3_SYS, LLAMA_MSG, [128000], true, { user: '<|start_header_id|>user', assistant: '<|start_header_id|>assistant' }, RT,
    ['<|eot_id|>'], '<|end_header_id|>\n\n', '<|end_header_id|>\n\n', ['<|end_of_text|>', '<|eot_id|>'], [128001, 128009], false],
  ['llama-3_1', L3_SYS, LLAMA_MSG, [128000], true,
    { user: '<|start_header_id|>user', assistant: '<|start_header_id|>assistant', tool: '<|start_header_id|>ipython' }, RT,
    ['<|eot_id|>'], '<|end_header_id|>\n\n', '<|end_header_id|>\n\n', [], [128001, 128008, 128009], false],
  ['llava', '{system_message}', '\n', [1], false, { user: 'USER', assistant: 'ASSISTANT' }, RT, [' '], ': ', ':', ['</s>'], [2], false],
  ['llm-jp', '{system_message}',
    '\u4ee5\u4e0b\u306f\u3001\u30bf\u30b9\u30af\u3092\u8aac\u660e\u3059\u308b\u6307\u793a\u3067\u3059\u3002\u8981\u6c42\u3092\u9069\u5207\u306b\u6e80\u305f\u3059\u5fdc\u7b54\u3092\u66f8\u304d\u306a\u3055\u3044\u3002',
    [1], true, { user: '\n\n### \u6307\u793a:', assistant: '\n\n### \u5fdc\u7b54:' }, RT, ['', '</s>'], '\n', '\n', [], [2], false],
  ['ministral3', MINISTRAL_SYS, MINISTRAL3_MSG, [1], true, { user: '', assistant: '', tool: '' }, MINISTRAL_RT, [''], '', '', ['</s>'], [2], false],
  ['ministral3_reasoning', MINISTRAL_SYS, MINISTRAL3_REASONING_MSG, [1], true, { user: '', assistant: '', tool: '' }, MINISTRAL_RT, [''], '', '', ['</s>'], [2], false],
  ['mistral_default', '[INST] {system_message}',
    'Always assist with care, respect, and truth. Respond with utmost utility yet securely. Avoid harmful, unethical, prejudiced, or negative content. Ensure replies promote fairness and positivity.',
    [1], false, { user: '[INST]', assistant: '[/INST]', tool: '[INST]' }, RT, [' '], ' ', '', ['</s>'], [2], false],
  ['nemotron', '<extra_id_0>System\n{system_message}\n\n', '', [2], true,
    { user: '<extra_id_1>User', assistant: '<extra_id_1>Assistant', tool: '<extra_id_1>Tool' }, RT, ['\n'], '\n', '\n', ['</s>'], [3], false],
  ['neural_hermes_mistral', CHATML_SYS, 'You are a helpful assistant chatbot.', null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [2, 32000], false],
  ['oasst', '{system_message}', '', null, true, { user: '<|prompter|>', assistant: '<|assistant|>' }, RT, ['<|endoftext|>'], ': ', ': ', ['<|endoftext|>'], [2], false],
  ['olmo', '{system_message}', '', [50279], true, { user: '<|user|>', assistant: '<|assistant|>' }, RT, ['\n'], '\n', '\n', [], [50279], false],
  ['olmo2', '<|system|>\n{system_message}\n', '', [100257], true, { user: '<|user|>', assistant: '<|assistant|>' }, RT,
    ['<|endoftext|>\n'], '\n', '\n', ['<|endoftext|>'], [100257], false],
  ['open_hermes_mistral', CHATML_SYS, HERMES2, null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', ['<|im_end|>'], [2, 32000], false],
  ['orion', '{system_message}', '', [1], true, { user: 'Human: ', assistant: 'Assistant: ' }, RT, ['\n\n', '</s>'], '', '</s>', ['</s>'], [2], false],
  ['phi-2', '{system_message}', '', null, true, { user: 'Instruct', assistant: 'Output' }, RT, ['\n'], ': ', ':', ['<|endoftext|>'], [50256], false],
  ['phi-3', '<|system|>\n{system_message}', PHI3_MSG, [1], true, PHI3_ROLES, RT, ['<|end|>\n'], '\n', '\n', ['<|endoftext|>'], [2, 32000, 32001, 32007], false],
  ['phi-3-vision', '{system_message}', '', [1], true, PHI3_ROLES, RT, ['<|end|>\n'], '\n', '\n', ['<|endoftext|>'], [2, 32000, 32001, 32007], false],
  ['qwen2', CHATML_SYS, 'You are a helpful assistant.', null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', QWEN_STOP, [151643, 151645], false],
  ['qwen3', CHATML_SYS, 'You are a helpful assistant.', null, true, CHATML_ROLES, RT, ['<|im_end|>\n'], '\n', '\n', QWEN_STOP, [151643, 151645], true],
  ['redpajama_chat', '{system_message}', '', null, true, { user: '<human>', assistant: '<bot>' }, RT, ['\n'], ': ', ':', ['<human>'], [0], false],
  ['rwkv_world', 'User: hi\n\nAssistant: {system_message}',
    'Hi. I am your assistant and I will provide expert full response in full details. Please feel free to ask any question and I will always answer it.',
    null, true, { user: 'User', assistant: 'Assistant' }, RT, ['\n\n'], ': ', ': ', ['\n\n'], [0], false],
  ['stablelm', '{system_message}', STABLELM_MSG, null, true, { user: '<|USER|>', assistant: '<|ASSISTANT|>' }, RT, [''], ': ', ': ', [''],
    [50278, 50279, 50277, 1, 0], false],
  ['stablelm-2', '{system_message}', '', null, true, { user: '<|user|>', assistant: '<|assistant|>' }, RT, ['<|endoftext|>', '<|endoftext|>'],
    '\n', '\n', ['<|endoftext|>'], [100257], false],
  ['stablelm-3b', '{system_message}', '', null, true, { user: '<|user|>', assistant: '<|assistant|>' }, RT, ['<|endoftext|>', '<|endoftext|>'],
    '\n', '\n', ['<|endoftext|>'], [0], false],
  ['tinyllama_v1_0', '<|system|>\n{system_message}</s>', 'You are a helpful chatbot.', null, true, { user: '<|user|>', assistant: '<|assistant|>' }, RT,
    ['</s>'], '\n', '\n', ['</s>'], [2], false],
  ['wizard_coder_or_math', '{system_message}', 'Below is an instruction that describes a task. Write a response that appropriately completes the request.',
    [1], true, { user: 'Instruction', assistant: 'Response' }, RT, ['\n\n### ', '\n\n### '], ':\n', ':\n', ['</s>'], [2], false],
  ['wizardlm_7b', '{system_message}', '', [1], true, { user: 'User', assistant: 'Response' }, RT, ['###'], ': ', ':', ['###'], [2], false],
];

// Templates whose source file could not be read (see README.md); expectations come from
// spec/mlc-format.md §3.3, with keys the spec leaves blank taken "as phi-3" / defaults.
// prettier-ignore
const UNVERIFIED_ROWS: [reason: string, row: Row][] = [
  ['llama-4 absent from every stored llama.py; values from spec §3.3',
    ['llama-4', '', '', [200000], false,
      { user: '<|header_start|>user', assistant: '<|header_start|>assistant', tool: '<|header_start|>ipython' }, RT,
      ['<|eot|>'], '<|header_end|>\n\n', '<|header_end|>\n\n', [], [200001, 200007, 200008], false]],
  ['phi-4 absent from every stored phi.py; values from spec §3.3, seps/role seps as phi-3',
    ['phi-4', '<|system|>\n{system_message}', PHI3_MSG, [200022], true, PHI3_ROLES, RT, ['<|end|>\n'], '\n', '\n',
      ['<|endoftext|>', '<|end|>'], [199999, 200020], false]],
  ['qwen3_5 follows the spec (pinned commit); a later upstream revision uses role_empty_sep "\\n<think>\\n" and strips reasoning',
    ['qwen3_5', CHATML_SYS, 'You are a helpful assistant.', null, true, { user: '<|im_start|>user', assistant: '<|im_start|>assistant\n<think>' }, RT,
      ['<|im_end|>\n'], '\n', '\n', QWEN_STOP, [248046, 248044], false]],
  ['qwen3_5_nothink follows the spec (pinned commit); see qwen3_5',
    ['qwen3_5_nothink', CHATML_SYS, 'You are a helpful assistant.', null, true,
      { user: '<|im_start|>user', assistant: '<|im_start|>assistant\n<think>\n\n</think>\n' }, RT,
      ['<|im_end|>\n'], '\n', '\n', QWEN_STOP, [248046, 248044], false]],
];

function expectedDump(row: Row): Record<string, unknown> {
  const [name, systemTemplate, systemMessage, prefix, addRole, roles, roleTemplates, seps, rcs, res, stopStr, stopIds, strip] = row;
  return {
    name,
    system_template: systemTemplate,
    system_message: systemMessage,
    system_prefix_token_ids: prefix,
    add_role_after_system_message: addRole,
    roles,
    role_templates: roleTemplates,
    messages: [],
    seps,
    role_content_sep: rcs,
    role_empty_sep: res,
    stop_str: stopStr,
    stop_token_ids: stopIds,
    strip_reasoning_in_history: strip,
    function_string: '',
    use_function_calling: false,
  };
}

// JSON.stringify keeps insertion order, so equal strings mean equal values AND equal key order
// (top level, roles and role_templates alike).
function expectDumpEquals(name: string, row: Row): void {
  const actual = getConvTemplate(name);
  expect(JSON.stringify(actual, null, 2)).toBe(JSON.stringify(expectedDump(row), null, 2));
}

describe('conversation template registry', () => {
  // Spec §3.2's heading says 54 but its list holds 53 names; no 54th could be identified at the pinned
  // commit (glm4, qwen3_vl, sarvam exist only in other upstream revisions and have no model type in spec §6.1).
  it('registers exactly the names listed in spec §3.2 (unverified: the heading says 54, the list has 53)', () => {
    const specNames = `LM, aya-23, chatml, chatml_nosystem, codellama_completion, codellama_instruct, deepseek,
      deepseek_r1_llama, deepseek_r1_qwen, deepseek_v2, deepseek_v3, dolly, gemma3_instruction,
      gemma_instruction, glm, gorilla, gorilla-openfunctions-v2, gpt2, gpt_bigcode, hermes2_pro_llama3,
      hermes3_llama-3_1, llama-2, llama-3, llama-3_1, llama-4, llava, llm-jp, ministral3,
      ministral3_reasoning, mistral_default, nemotron, neural_hermes_mistral, oasst, olmo, olmo2,
      open_hermes_mistral, orion, phi-2, phi-3, phi-3-vision, phi-4, qwen2, qwen3, qwen3_5,
      qwen3_5_nothink, redpajama_chat, rwkv_world, stablelm, stablelm-2, stablelm-3b, tinyllama_v1_0,
      wizard_coder_or_math, wizardlm_7b`
      .split(',')
      .map((s) => s.trim());
    expect(specNames).toHaveLength(53);
    expect([...CONV_TEMPLATE_NAMES].sort()).toEqual([...specNames].sort());
    const tabled = [...ROWS.map((r) => r[0]), ...UNVERIFIED_ROWS.map(([, r]) => r[0])];
    expect(tabled.sort()).toEqual([...specNames].sort());
  });

  it('uses the 16 keys in the protocol dump order', () => {
    expect([...CONVERSATION_KEYS]).toEqual(DUMP_ORDER);
    expect(Object.keys(getConvTemplate('llama-3_1'))).toEqual(DUMP_ORDER);
  });

  it.each(ROWS.map((row) => [row[0], row] as const))('dumps %s exactly as MLC does', (name, row) => {
    expectDumpEquals(name, row);
  });

  it.each(UNVERIFIED_ROWS.map(([reason, row]) => [row[0], reason, row] as const))(
    'dumps %s (unverified: %s)',
    (name, _reason, row) => {
      expectDumpEquals(name, row);
    },
  );

  it('returns a fresh copy each time', () => {
    const a = getConvTemplate('chatml');
    a.roles.user = 'changed';
    a.stop_token_ids.push(99);
    const b = getConvTemplate('chatml');
    expect(b.roles.user).toBe('<|im_start|>user');
    expect(b.stop_token_ids).toEqual([2]);
  });

  it('rejects an unknown name with the list of registered names', () => {
    let error: unknown;
    try {
      getConvTemplate('vicuna');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NxMlcError);
    const err = error as NxMlcError;
    expect(err.message).toContain('unknown conversation template "vicuna"');
    expect(err.field).toBe('conv_template');
    expect(err.fix).toContain('llama-3_1');
    expect(err.fix).toContain('wizardlm_7b');
  });

  it('explains that llama_default is offered by the MLC CLI but never registered', () => {
    expect(() => getConvTemplate('llama_default')).toThrow(/never registered/);
  });
});
