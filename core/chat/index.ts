/** Conversation templates: MLC-LLM's registry as data, prompt assembly, `auto` selection, template-check. */
export { type Conversation, type ConversationMessage, CONVERSATION_KEYS } from './conversation';
export { CONV_TEMPLATE_NAMES, CONV_TEMPLATE_NAMES_IN_ORDER, getConvTemplate, isConvTemplateName } from './registry';
export { type PromptMessage, renderConversationPrompt } from './prompt';
export {
  type ChooseOptions,
  type ConvTemplateChoice,
  chooseConvTemplate,
  chooseConvTemplateForDir,
} from './auto-select';
export { type TokenizerConfig, readChatTemplate, readTokenizerConfig } from './hf-chat-template';
export { type TemplateCheckResult, formatTemplateCheck, templateCheck } from './template-check';
