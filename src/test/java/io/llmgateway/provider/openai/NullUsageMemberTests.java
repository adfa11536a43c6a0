package io.llmgateway.provider.openai;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NullUsageMemberTests {

	/** The regular expression the gateway used on the chunk's decoded text before. */
	private static final Pattern REGEX = Pattern
		.compile(",\\s*\"usage\"\\s*:\\s*null(?=\\s*[,}])|\"usage\"\\s*:\\s*null\\s*,");

	private static final List<String> JUNK = List.of("", "{", "}", "x", "\"id\":\"c1\"", "é", "日", "\\\"", "\"",
			"[", "]", "\u00A0", ",", "\"usage\"");

	private static final List<String> BLANKS = List.of("", " ", "\t", "\n", "\u000B", "\f", "\r", "  \r\n",
			"\u00A0");

	private static final List<String> SEPARATORS = List.of("", ",", ",", "{", "x");

	private static final List<String> NAMES = List.of("\"usage\"", "\"usage\"", "\"usag\"", "\"usage", "usage\"",
			"\"Usage\"");

	private static final List<String> COLONS = List.of(":", ":", "=", "");

	private static final List<String> VALUES = List.of("null", "null", "nul", "{}", "nulll");

	private static final List<String> ENDS = List.of(",", "}", ",", "}", "x", "", "]");

	@Test
	void findsWhatTheRegularExpressionFound() {
		assertThat(find("{\"id\":\"c\",\"choices\":[],\"usage\":null}")).isEqualTo(",\"usage\":null");
		assertThat(find("{\"usage\":null,\"id\":\"c\"}")).isEqualTo("\"usage\":null,");
		assertThat(find("{\"id\":\"c\" , \"usage\" :\tnull\n}")).isEqualTo(" , \"usage\" :\tnull".substring(1));
		assertThat(find("{\"usage\":{\"prompt_tokens\":1}}")).isNull();
		assertThat(find("{\"usage\":null}")).isNull();
		assertThat(find("{\"content\":\"\\\"usage\\\":null,\"}")).isNull();
	}

	@Test
	void agreesWithTheRegularExpressionOnRandomText() {
		Random random = new Random(42);
		int found = 0;
		for (int i = 0; i < 200_000; i++) {
			// Near misses as well as members: a member is pieces in a row, each of which may be off.
			StringBuilder text = new StringBuilder();
			int members = 1 + random.nextInt(3);
			for (int m = 0; m < members; m++) {
				text.append(pick(random, JUNK))
					.append(pick(random, SEPARATORS))
					.append(pick(random, BLANKS))
					.append(pick(random, NAMES))
					.append(pick(random, BLANKS))
					.append(pick(random, COLONS))
					.append(pick(random, BLANKS))
					.append(pick(random, VALUES))
					.append(pick(random, BLANKS))
					.append(pick(random, ENDS));
			}
			String chunk = text.toString();
			Matcher matcher = REGEX.matcher(chunk);
			String expected = matcher.find() ? matcher.group() : null;
			assertThat(find(chunk)).as("in %s", chunk).isEqualTo(expected);
			found += (expected != null) ? 1 : 0;
		}
		// Enough of the texts hold a member for the agreement to mean something.
		assertThat(found).isGreaterThan(5_000);
	}

	private static String pick(Random random, List<String> choices) {
		return choices.get(random.nextInt(choices.size()));
	}

	private static String find(String text) {
		return NullUsageMember.find(text.getBytes(StandardCharsets.UTF_8));
	}

}
