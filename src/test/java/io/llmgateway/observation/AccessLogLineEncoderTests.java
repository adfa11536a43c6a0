package io.llmgateway.observation;

import java.nio.charset.StandardCharsets;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access log's encoder writes what the pattern {@code %msg%n} in UTF-8 writes.
 */
class AccessLogLineEncoderTests {

	@Test
	void writesWhatThePatternWrites() {
		LoggerContext logback = new LoggerContext();
		PatternLayoutEncoder pattern = new PatternLayoutEncoder();
		pattern.setContext(logback);
		pattern.setPattern("%msg%n");
		pattern.setCharset(StandardCharsets.UTF_8);
		pattern.start();
		AccessLogLineEncoder encoder = new AccessLogLineEncoder();
		encoder.setContext(logback);
		encoder.start();

		for (String message : new String[] { "{\"route\":\"llm\",\"status\":200}", "{\"model\":\"Mistral-7B-très-long ✓ 模型\"}",
				"", "x".repeat(5000) }) {
			LoggingEvent event = new LoggingEvent(getClass().getName(), logback.getLogger("llm_gateway.access"),
					Level.INFO, message, null, null);
			assertThat(encoder.encode(event)).as(message).isEqualTo(pattern.encode(event));
		}
		assertThat(encoder.headerBytes()).isEqualTo(pattern.headerBytes() == null ? new byte[0] : pattern.headerBytes());
		assertThat(encoder.footerBytes()).isEmpty();
	}

}
