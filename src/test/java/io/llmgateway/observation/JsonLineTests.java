package io.llmgateway.observation;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written line read back by Jackson: every value comes back as written. */
class JsonLineTests {

	static final JsonMapper json = JsonMapper.builder().build();

	final Random random = new Random(7);

	@Test
	void stringsComeBackExactlyWhateverTheyHoldAndTheLineStaysOneLine() {
		String alphabet = "aZ09 \"\\/\n\r\t\b\f\u0000\u0001\u001f\u007fé€😀";
		for (int i = 0; i < 2_000; i++) {
			String name = randomString(alphabet);
			String value = randomString(alphabet);
			String text = new JsonLine(16).string(name, value).string("nothing", null).end();
			assertThat(text).doesNotContain("\n").doesNotContain("\r");
			JsonNode line = json.readTree(text);
			assertThat(line.get(name).asString()).isEqualTo(value);
			assertThat(line.get("nothing").isNull()).isTrue();
		}
	}

	@Test
	void millisecondsAreTheNanosecondsExactly() {
		long[] fixed = { 0, 1, 999, 1_000, 500_000, 1_000_000, 250_000_000, 1_234_567_891, -1_500_000, Long.MAX_VALUE };
		for (long nanos : fixed) {
			assertMillis(nanos);
		}
		for (int i = 0; i < 5_000; i++) {
			assertMillis(this.random.nextLong(10_000_000_000L));
		}
	}

	@Test
	void timestampsAreWhatInstantToStringWrites() {
		long second = Instant.parse("2026-12-07T04:21:44Z").getEpochSecond();
		int[] nanos = { 0, 5, 1_000, 120_000, 1_000_000, 850_000_000, 851_234_000, 851_234_567, 999_999_999 };
		for (int s = 0; s < 3; s++) {
			for (int n : nanos) {
				assertTimestamp(Instant.ofEpochSecond(second + s, n));
			}
		}
		for (int i = 0; i < 2_000; i++) {
			assertTimestamp(Instant.ofEpochSecond(this.random.nextLong(4_000_000_000L), this.random.nextInt(1_000_000_000)));
		}
	}

	@Test
	void numbersBooleansAndNulls() {
		JsonNode line = json.readTree(new JsonLine(16).number("a", 42L)
			.number("b", 1.75)
			.number("c", 1.0E-7)
			.number("d", Double.NaN)
			.number("e", Double.POSITIVE_INFINITY)
			.bool("f", true)
			.nullValue("g")
			.end());
		assertThat(line.get("a").asLong()).isEqualTo(42);
		assertThat(line.get("b").asDouble()).isEqualTo(1.75);
		assertThat(line.get("c").asDouble()).isEqualTo(1.0E-7);
		assertThat(line.get("d").isNull()).isTrue();
		assertThat(line.get("e").isNull()).isTrue();
		assertThat(line.get("f").asBoolean()).isTrue();
		assertThat(line.get("g").isNull()).isTrue();
		assertThat(new JsonLine(16).end()).isEqualTo("{}");
	}

	private void assertMillis(long nanos) {
		String text = new JsonLine(16).millis("ms", nanos).end();
		assertThat(json.readTree(text).get("ms").isNumber()).isTrue();
		// Read as text: a double would round the largest values.
		String number = text.substring("{\"ms\":".length(), text.length() - 1);
		assertThat(new BigDecimal(number)).as("%d ns", nanos).isEqualByComparingTo(BigDecimal.valueOf(nanos, 6));
	}

	private void assertTimestamp(Instant instant) {
		JsonNode line = json.readTree(new JsonLine(16).timestamp("t", instant).end());
		assertThat(line.get("t").asString()).isEqualTo(instant.toString());
	}

	private String randomString(String alphabet) {
		StringBuilder text = new StringBuilder();
		int length = this.random.nextInt(12);
		for (int i = 0; i < length; i++) {
			text.appendCodePoint(alphabet.codePoints().skip(this.random.nextInt((int) alphabet.codePoints().count())).findFirst().getAsInt());
		}
		return text.toString();
	}

}
