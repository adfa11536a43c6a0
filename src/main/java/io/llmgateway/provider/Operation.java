package io.llmgateway.provider;

/**
 * GenAI operation names as the OpenTelemetry semantic conventions define them.
 */
public enum Operation {

	CHAT("chat"), TEXT_COMPLETION("text_completion"), EMBEDDINGS("embeddings"), GENERATE_CONTENT("generate_content");

	private final String value;

	Operation(String value) {
		this.value = value;
	}

	/** The {@code gen_ai.operation.name} value. */
	public String value() {
		return this.value;
	}

}
