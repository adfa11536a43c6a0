package io.llmgateway.usage;

/**
 * Token counts of one call in the gateway's single meaning (see the telemetry contract's token
 * normalisation): {@code input} counts every input token, cached or not, and {@code output}
 * every output token, reasoning included. The cache and reasoning figures are parts of those
 * totals, never additions to them.
 *
 * @param input every input token
 * @param output every output token
 * @param cacheReadInput part of {@code input} read from the provider's prompt cache
 * @param cacheWriteInput part of {@code input} written to the provider's prompt cache
 * @param reasoningOutput part of {@code output} spent on reasoning
 */
public record TokenUsage(long input, long output, long cacheReadInput, long cacheWriteInput, long reasoningOutput) {

	public TokenUsage {
		input = Math.max(0, input);
		output = Math.max(0, output);
		cacheReadInput = Math.min(Math.max(0, cacheReadInput), input);
		cacheWriteInput = Math.min(Math.max(0, cacheWriteInput), input - cacheReadInput);
		reasoningOutput = Math.min(Math.max(0, reasoningOutput), output);
	}

	public static TokenUsage of(long input, long output) {
		return new TokenUsage(input, output, 0, 0, 0);
	}

	/** Input tokens that were neither read from nor written to a cache. */
	public long uncachedInput() {
		return this.input - this.cacheReadInput - this.cacheWriteInput;
	}

}
