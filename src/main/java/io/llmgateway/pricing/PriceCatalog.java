package io.llmgateway.pricing;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.llmgateway.usage.TokenUsage;

/**
 * Model prices, looked up by the model the provider reported first and the one asked for
 * second. A model without a price has no cost: it is counted as unpriced, never guessed.
 */
public class PriceCatalog {

	private static final double PER_TOKEN = 1e-6;

	private final Map<String, ModelPrice> prices = new HashMap<>();

	public PriceCatalog(List<ModelPrice> prices) {
		for (ModelPrice price : prices) {
			this.prices.put(key(price.getModel()), price);
		}
	}

	/** The price for a call, or {@code null} when neither model has one. */
	public ModelPrice find(String responseModel, String requestModel) {
		ModelPrice price = find(responseModel);
		return (price != null) ? price : find(requestModel);
	}

	/**
	 * The cost of the given usage at the given price.
	 */
	public static Cost cost(TokenUsage usage, ModelPrice price) {
		double input = usage.uncachedInput() * perToken(price.getInput());
		double cacheRead = usage.cacheReadInput() * perToken(orElse(price.getCacheReadInput(), price.getInput()));
		double cacheWrite = usage.cacheWriteInput() * perToken(orElse(price.getCacheWriteInput(), price.getInput()));
		double output;
		double reasoning = 0;
		if (price.getReasoningOutput() != null) {
			output = (usage.output() - usage.reasoningOutput()) * perToken(price.getOutput());
			reasoning = usage.reasoningOutput() * perToken(price.getReasoningOutput());
		}
		else {
			output = usage.output() * perToken(price.getOutput());
		}
		return new Cost(input, cacheRead, cacheWrite, output, reasoning);
	}

	private ModelPrice find(String model) {
		if (model == null || model.isEmpty()) {
			return null;
		}
		String name = key(model);
		ModelPrice exact = this.prices.get(name);
		if (exact != null) {
			return exact;
		}
		// Dated or suffixed variants (gpt-4o-mini-2024-07-18) fall back to their base name,
		// taking the longest base that matches.
		for (int dash = name.lastIndexOf('-'); dash > 0; dash = name.lastIndexOf('-', dash - 1)) {
			ModelPrice base = this.prices.get(name.substring(0, dash));
			if (base != null) {
				return base;
			}
		}
		return null;
	}

	private static String key(String model) {
		String name = model.strip().toLowerCase(Locale.ROOT);
		// Provider prefixes such as "openai/gpt-4o" or "models/gemini-2.0-flash" name the same model.
		int slash = name.lastIndexOf('/');
		return (slash >= 0) ? name.substring(slash + 1) : name;
	}

	private static double perToken(BigDecimal perMillion) {
		return perMillion.doubleValue() * PER_TOKEN;
	}

	private static BigDecimal orElse(BigDecimal value, BigDecimal fallback) {
		return (value != null) ? value : fallback;
	}

}
