package io.llmgateway.usage;

/**
 * Keeps what is needed to estimate output tokens of a response of any length in bounded memory:
 * text is held until it reaches a threshold, then counted and dropped. A response whose provider
 * reports usage never pays for tokenization below that threshold.
 */
public final class OutputTokenTally {

	private static final int PENDING_LIMIT = 16 * 1024;

	private final StringBuilder pending = new StringBuilder();

	private long countedTokens;

	/** Adds a piece of generated text. */
	public void append(CharSequence text, String model, TokenEstimator estimator) {
		if (text == null || text.isEmpty()) {
			return;
		}
		this.pending.append(text);
		if (this.pending.length() >= PENDING_LIMIT) {
			this.countedTokens += estimator.count(model, this.pending);
			this.pending.setLength(0);
		}
	}

	/** Estimated tokens of everything appended. */
	public long tokens(String model, TokenEstimator estimator) {
		return this.countedTokens + estimator.count(model, this.pending);
	}

}
