"""From a checked definition to what people see: WTForms pages, messages, answer displays."""
