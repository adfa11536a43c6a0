package io.llmgateway.usage;

import java.util.function.LongSupplier;

/**
 * Decides a call's final token counts: the provider's when it reported any, otherwise an
 * estimate from the prompt and the output text seen, marked as such.
 */
public final class UsageResolver {

	private final TokenEstimator estimator;

	public UsageResolver(TokenEstimator estimator) {
		this.estimator = estimator;
	}

	/**
	 * @param reported usage the provider reported, or {@code null}
	 * @param model the model asked for (picks the tokenizer)
	 * @param inputText the prompt's text, or {@code null} when the request could not be read
	 * @param inputMessages chat messages in the prompt (0 for non-chat operations)
	 * @param outputKnown whether the output text could be read
	 * @param outputEstimate estimated output tokens of the text seen
	 * @return the final counts, or {@code null} when nothing can be said
	 */
	public ResolvedUsage resolve(TokenUsage reported, String model, String inputText, int inputMessages,
			boolean outputKnown, LongSupplier outputEstimate) {
		if (reported != null) {
			return new ResolvedUsage(reported, UsageSource.PROVIDER, true);
		}
		if (inputText == null) {
			return null;
		}
		long input = (inputMessages > 0) ? this.estimator.countChatInput(model, inputText, inputMessages)
				: this.estimator.count(model, inputText);
		long output = outputKnown ? outputEstimate.getAsLong() : 0;
		return new ResolvedUsage(TokenUsage.of(input, output), UsageSource.ESTIMATED, outputKnown);
	}

}
