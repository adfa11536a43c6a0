package io.llmgateway.provider;

import tools.jackson.databind.JsonNode;

/**
 * Lenient reads of JSON values: a field of the wrong type counts as absent, never as an error,
 * because a provider's body must never fail a call.
 */
public final class JsonValues {

	private JsonValues() {
	}

	public static String text(JsonNode node) {
		return (node != null && node.isString()) ? node.stringValue() : null;
	}

	public static Long whole(JsonNode node) {
		return (node != null && node.isNumber()) ? node.longValue() : null;
	}

	public static long whole(JsonNode node, long fallback) {
		return (node != null && node.isNumber()) ? node.longValue() : fallback;
	}

	public static Double decimal(JsonNode node) {
		return (node != null && node.isNumber()) ? node.doubleValue() : null;
	}

	public static boolean isTrue(JsonNode node) {
		return node != null && node.isBoolean() && node.booleanValue();
	}

}
