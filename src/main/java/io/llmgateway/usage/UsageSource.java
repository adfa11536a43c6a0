package io.llmgateway.usage;

/**
 * Where a call's token counts come from. An estimate is never presented as provider-reported.
 */
public enum UsageSource {

	/** Counts reported by the provider in its response. */
	PROVIDER("provider"),

	/** Counts the gateway estimated with a tokenizer because the provider reported none. */
	ESTIMATED("estimated");

	private final String value;

	UsageSource(String value) {
		this.value = value;
	}

	/** The value used on metrics, spans and log lines. */
	public String value() {
		return this.value;
	}

}
