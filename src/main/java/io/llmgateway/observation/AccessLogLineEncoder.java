package io.llmgateway.observation;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * Writes an access-log event as its message and a newline, in UTF-8: what the pattern
 * {@code %msg%n} writes, without a pattern layout. The layout copied each ~750-character line
 * through a growing buffer and a string before encoding it, about twice the line's bytes more
 * than this per call.
 */
public class AccessLogLineEncoder extends EncoderBase<ILoggingEvent> {

	private static final byte[] NOTHING = new byte[0];

	@Override
	public byte[] headerBytes() {
		return NOTHING;
	}

	@Override
	public byte[] encode(ILoggingEvent event) {
		byte[] message = event.getFormattedMessage().getBytes(StandardCharsets.UTF_8);
		byte[] line = Arrays.copyOf(message, message.length + 1);
		line[message.length] = '\n';
		return line;
	}

	@Override
	public byte[] footerBytes() {
		return NOTHING;
	}

}
