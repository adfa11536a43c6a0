package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Server-sent events decoder (WHATWG event-stream format): {@code data:} lines of one event are
 * joined with LF, {@code event:} sets the type, lines starting with a colon are comments, and a
 * blank line dispatches the event. Line endings may be LF, CR or CRLF. An event's data is gathered
 * as bytes and handed on as bytes: no text is made of a line or an event on the way.
 */
public final class SseDecoder implements FrameDecoder {

	private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] EVENT = "event".getBytes(StandardCharsets.US_ASCII);

	private final LineDecoder lines;

	private final int maxFrameBytes;

	/** The data of the event being read: its lines joined with LF. */
	private byte[] data = new byte[256];

	private int dataLength;

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
		this.dataLength = 0;
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
		int fieldLength = (colon < 0) ? length : colon;
		int valueStart = (colon < 0) ? length : colon + 1;
		if (valueStart < length && bytes[valueStart] == ' ') {
			valueStart++;
		}
		// id, retry and unknown fields carry nothing the gateway reports.
		if (isField(bytes, fieldLength, DATA)) {
			int extra = (this.hasData ? 1 : 0) + length - valueStart;
			if (this.dataLength + extra > this.maxFrameBytes) {
				overflow();
				return;
			}
			if (this.dataLength + extra > this.data.length) {
				this.data = Arrays.copyOf(this.data,
						Math.min(this.maxFrameBytes, Math.max(this.dataLength + extra, this.data.length * 2)));
			}
			if (this.hasData) {
				this.data[this.dataLength++] = '\n';
			}
			System.arraycopy(bytes, valueStart, this.data, this.dataLength, length - valueStart);
			this.dataLength += length - valueStart;
			this.hasData = true;
		}
		else if (isField(bytes, fieldLength, EVENT)) {
			this.type = new String(bytes, valueStart, length - valueStart, StandardCharsets.UTF_8);
		}
	}

	private void dispatch(long end, FrameHandler handler) {
		if (this.hasData) {
			handler.onFrame(new Frame(this.type, Arrays.copyOf(this.data, this.dataLength), end));
		}
		// A blank line closes whatever preceded it (comments included), so it is a safe cut.
		this.lastFrameEnd = end;
		this.dataLength = 0;
		this.hasData = false;
		this.type = null;
	}

	private void overflow() {
		this.overflowed = true;
		this.dataLength = 0;
		this.hasData = false;
	}

	private static boolean isField(byte[] bytes, int length, byte[] name) {
		return length == name.length && Arrays.equals(bytes, 0, length, name, 0, length);
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
