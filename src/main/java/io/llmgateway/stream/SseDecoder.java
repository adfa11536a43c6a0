package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events decoder (WHATWG event-stream format): {@code data:} lines of one event are
 * joined with LF, {@code event:} sets the type, lines starting with a colon are comments, and a
 * blank line dispatches the event. Line endings may be LF, CR or CRLF.
 */
public final class SseDecoder implements FrameDecoder {

	private final LineDecoder lines;

	private final int maxFrameBytes;

	private final StringBuilder data = new StringBuilder();

	private boolean hasData;

	private String type;

	private long lastFrameEnd;

	private boolean overflowed;

	public SseDecoder(int maxFrameBytes) {
		this.maxFrameBytes = maxFrameBytes;
		this.lines = new LineDecoder(maxFrameBytes);
	}

	@Override
	public boolean feed(ByteBuffer input, FrameHandler handler) {
		if (this.overflowed) {
			input.position(input.limit());
			return false;
		}
		boolean ok = this.lines.feed(input, (bytes, length, end) -> onLine(bytes, length, end, handler));
		if (!ok) {
			overflow();
		}
		return !this.overflowed;
	}

	@Override
	public void finish(FrameHandler handler) {
		if (!this.overflowed) {
			this.lines.finish((bytes, length, end) -> onLine(bytes, length, end, handler));
		}
		// An event not closed by a blank line is dropped, as browsers do; a stream cut mid-event
		// therefore reports only the events it completed.
		this.data.setLength(0);
		this.hasData = false;
	}

	@Override
	public long lastFrameEnd() {
		return this.lastFrameEnd;
	}

	@Override
	public boolean isOverflowed() {
		return this.overflowed;
	}

	private void onLine(byte[] bytes, int length, long end, FrameHandler handler) {
		if (this.overflowed) {
			return;
		}
		if (length == 0) {
			dispatch(end, handler);
			return;
		}
		if (bytes[0] == ':') {
			return;
		}
		int colon = indexOf(bytes, length, (byte) ':');
		String field = new String(bytes, 0, (colon < 0) ? length : colon, StandardCharsets.UTF_8);
		int valueStart = (colon < 0) ? length : colon + 1;
		if (valueStart < length && bytes[valueStart] == ' ') {
			valueStart++;
		}
		switch (field) {
			case "data" -> {
				if (this.hasData) {
					this.data.append('\n');
				}
				this.data.append(new String(bytes, valueStart, length - valueStart, StandardCharsets.UTF_8));
				this.hasData = true;
				if (this.data.length() > this.maxFrameBytes) {
					overflow();
				}
			}
			case "event" -> this.type = new String(bytes, valueStart, length - valueStart, StandardCharsets.UTF_8);
			default -> {
				// id, retry and unknown fields carry nothing the gateway reports.
			}
		}
	}

	private void dispatch(long end, FrameHandler handler) {
		if (this.hasData) {
			handler.onFrame(new Frame(this.type, this.data.toString(), end));
		}
		// A blank line closes whatever preceded it (comments included), so it is a safe cut.
		this.lastFrameEnd = end;
		this.data.setLength(0);
		this.hasData = false;
		this.type = null;
	}

	private void overflow() {
		this.overflowed = true;
		this.data.setLength(0);
		this.hasData = false;
	}

	private static int indexOf(byte[] bytes, int length, byte b) {
		for (int i = 0; i < length; i++) {
			if (bytes[i] == b) {
				return i;
			}
		}
		return -1;
	}

}
