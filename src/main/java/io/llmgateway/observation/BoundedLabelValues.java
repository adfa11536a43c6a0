package io.llmgateway.observation;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label's distinct values under a cap: the first {@code maxValues} values seen pass,
 * later new ones become {@code other}. Values are also cut to a sane length, so no caller can
 * grow the metric registry without bound.
 */
public final class BoundedLabelValues {

	/** What a value past the cap becomes. */
	public static final String OTHER = "other";

	private static final int MAX_LENGTH = 128;

	private final int maxValues;

	private final Set<String> seen = ConcurrentHashMap.newKeySet();

	public BoundedLabelValues(int maxValues) {
		this.maxValues = maxValues;
	}

	/** The value to use on a metric for {@code value}. */
	public String bound(String value) {
		String candidate = (value.length() > MAX_LENGTH) ? value.substring(0, MAX_LENGTH) : value;
		if (this.seen.contains(candidate)) {
			return candidate;
		}
		// Racing threads may let a few values past the cap; the registry stays bounded all the same.
		if (this.seen.size() < this.maxValues) {
			this.seen.add(candidate);
			return candidate;
		}
		return OTHER;
	}

}
