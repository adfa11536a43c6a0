package io.llmgateway.provider.openai;

import java.util.function.BiFunction;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Lenient reads of the value a parser stands on, for the single-pass readers: a value of the
 * wrong type is skipped and counts as absent, never as an error.
 */
final class JsonTokens {

	/** Largest whole number a double holds exactly (2^53). */
	private static final double MAX_EXACT_WHOLE = 9_007_199_254_740_992d;

	private JsonTokens() {
	}

	static String string(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_STRING) {
			return parser.getString();
		}
		parser.skipChildren();
		return null;
	}

	static boolean isTrue(JsonParser parser, JsonToken value) {
		parser.skipChildren();
		return value == JsonToken.VALUE_TRUE;
	}

	static Double decimal(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
			return parser.getDoubleValue();
		}
		parser.skipChildren();
		return null;
	}

	/**
	 * A whole number a {@code long} holds, written as an integer or as a float without fraction;
	 * {@code null} for anything else, including fractions and numbers beyond that range, so that a
	 * garbled count is never taken for a huge one.
	 */
	static Long whole(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_NUMBER_INT) {
			JsonParser.NumberType type = parser.getNumberType();
			return (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) ? parser.getLongValue()
					: null;
		}
		if (value == JsonToken.VALUE_NUMBER_FLOAT) {
			double number = parser.getDoubleValue();
			return (number == Math.rint(number) && Math.abs(number) <= MAX_EXACT_WHOLE) ? (long) number : null;
		}
		parser.skipChildren();
		return null;
	}

	/**
	 * One member of an object value, read by {@code read}; {@code absent} when the value is not an
	 * object or has no such member. Of a member given twice the last one counts.
	 */
	static <T> T member(JsonParser parser, JsonToken value, String wanted,
			BiFunction<JsonParser, JsonToken, T> read, T absent) {
		if (value != JsonToken.START_OBJECT) {
			parser.skipChildren();
			return absent;
		}
		T found = absent;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken member = parser.nextToken();
			if (wanted.equals(name)) {
				found = read.apply(parser, member);
			}
			else {
				parser.skipChildren();
			}
		}
		return found;
	}

}
