package io.llmgateway.provider;

/**
 * What the gateway learned from one LLM request body. Absent values are {@code null}.
 *
 * @param operation the GenAI operation
 * @param model the model asked for, or {@code null}
 * @param stream whether a streamed response was asked for
 * @param usageRequested whether a streamed response was asked to carry usage
 * @param maxTokens {@code max_tokens} (or its successor field)
 * @param temperature sampling temperature
 * @param topP nucleus sampling parameter
 * @param seed sampling seed
 * @param choices number of choices asked for ({@code n})
 * @param inputText the prompt's text, for a token estimate when the provider reports none
 * @param inputMessages number of chat messages in the prompt
 * @param decoded whether the body could be read at all
 */
public record LlmRequest(Operation operation, String model, boolean stream, boolean usageRequested, Long maxTokens,
		Double temperature, Double topP, Long seed, Integer choices, String inputText, int inputMessages,
		boolean decoded) {

	/** A request whose body could not be read: proxied untouched, counted with what is known. */
	public static LlmRequest undecoded(Operation operation) {
		return new LlmRequest(operation, null, false, false, null, null, null, null, null, null, 0, false);
	}

}
