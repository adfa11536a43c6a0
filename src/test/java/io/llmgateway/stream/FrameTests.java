package io.llmgateway.stream;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FrameTests {

	@Test
	void aFrameOfBytesAndOneOfTheSameTextAreEqual() {
		Frame bytes = new Frame("delta", "{\"t\":\"é ✓\"}".getBytes(StandardCharsets.UTF_8), 9);
		Frame text = new Frame("delta", "{\"t\":\"é ✓\"}", 9);
		assertThat(bytes).isEqualTo(text).hasSameHashCodeAs(text);
		assertThat(bytes.data()).isEqualTo("{\"t\":\"é ✓\"}").isSameAs(bytes.data());
		assertThat(text.dataBytes()).isEqualTo(bytes.dataBytes());
		assertThat(bytes).isNotEqualTo(new Frame("other", "{\"t\":\"é ✓\"}", 9))
			.isNotEqualTo(new Frame("delta", "{\"t\":\"é ✓\"}", 10));
	}

	@Test
	void dataIsComparesTheTextBetweenBlanks() {
		assertThat(new Frame(null, "[DONE]", 0).dataIs("[DONE]")).isTrue();
		assertThat(new Frame(null, " \t[DONE]\r\n ", 0).dataIs("[DONE]")).isTrue();
		assertThat(new Frame(null, "[DONE] x", 0).dataIs("[DONE]")).isFalse();
		assertThat(new Frame(null, "[DONE", 0).dataIs("[DONE]")).isFalse();
		assertThat(new Frame(null, "[done]", 0).dataIs("[DONE]")).isFalse();
		assertThat(new Frame(null, "", 0).dataIs("[DONE]")).isFalse();
		assertThat(new Frame(null, "  ", 0).dataIs("")).isTrue();
	}

}
