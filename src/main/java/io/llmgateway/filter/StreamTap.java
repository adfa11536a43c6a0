package io.llmgateway.filter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.stream.Frame;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * Reads a streamed body (SSE or NDJSON) frame by frame while it flows to the client.
 *
 * <p>In the common case every chunk goes on untouched the moment it arrives. When the gateway
 * asked for usage the client did not ask for, the usage-only frame must not reach the client:
 * then the tap sends on whole frames only, holding back the unfinished tail of a frame until it
 * completes (a client cannot act on half a frame anyway), and cuts the dropped frames out.
 */
final class StreamTap implements ResponseTap {

	private final FrameReader reader;

	private final DataBufferFactory buffers;

	private boolean aligned;

	/** Raw bytes held back: from {@link #heldStart} up to {@link #heldLength}. */
	private byte[] held = new byte[0];

	private int heldLength;

	private long heldStart;

	/** Stream ranges [start, end) to cut before sending on, pairwise, in stream order. */
	private long[] cuts = new long[4];

	private int cutCount;

	StreamTap(FrameReader reader, DataBufferFactory buffers, boolean aligned) {
		this.reader = reader;
		this.buffers = buffers;
		this.aligned = aligned;
	}

	@Override
	public DataBuffer onBuffer(DataBuffer buffer) {
		if (!this.aligned) {
			try (DataBuffer.ByteBufferIterator views = buffer.readableByteBuffers()) {
				while (views.hasNext()) {
					this.reader.read(views.next(), (frame, start, edit) -> {
					});
				}
			}
			return buffer;
		}
		return realign(buffer);
	}

	@Override
	public DataBuffer onComplete() {
		this.reader.end();
		return flushHeld(this.heldStart + this.heldLength);
	}

	@Override
	public void onAbort() {
		this.reader.finish();
		this.held = new byte[0];
		this.heldLength = 0;
	}

	private DataBuffer realign(DataBuffer buffer) {
		int n = buffer.readableByteCount();
		ensureCapacity(this.heldLength + n);
		buffer.read(this.held, this.heldLength, n);
		DataBufferUtils.release(buffer);
		// From here on the bytes are only in the held array: this method must not throw, or they
		// would be lost. Whatever goes wrong, everything held goes on as it came.
		try {
			int chunkStart = this.heldLength;
			this.heldLength += n;
			this.reader.read(ByteBuffer.wrap(this.held, chunkStart, n), this::onFrame);
			if (!this.reader.isStopped()) {
				return flushHeld(this.reader.lastFrameEnd());
			}
		}
		catch (RuntimeException ex) {
			// Cuts recorded by a failed read cannot be trusted; from now on bytes pass as they come.
			this.aligned = false;
			this.cutCount = 0;
		}
		// Cannot tell frames apart any more: everything held goes on.
		return flushHeld(this.heldStart + this.heldLength);
	}

	private void onFrame(Frame frame, long frameStart, FrameEdit edit) {
		// Recorded, not cut yet: the decoder is still reading the held bytes.
		if (edit.drop()) {
			addCut(frameStart, frame.endPosition());
		}
		else if (edit.remove() != null) {
			byte[] text = edit.remove().getBytes(StandardCharsets.UTF_8);
			int from = (int) (frameStart - this.heldStart);
			int to = (int) (frame.endPosition() - this.heldStart);
			int at = indexOf(this.held, Math.max(0, from), Math.min(this.heldLength, to), text);
			if (at >= 0) {
				addCut(this.heldStart + at, this.heldStart + at + text.length);
			}
		}
	}

	private void addCut(long from, long to) {
		if (this.cutCount == this.cuts.length) {
			this.cuts = Arrays.copyOf(this.cuts, this.cuts.length * 2);
		}
		this.cuts[this.cutCount++] = from;
		this.cuts[this.cutCount++] = to;
	}

	private static int indexOf(byte[] bytes, int from, int to, byte[] text) {
		outer: for (int i = from; i <= to - text.length; i++) {
			for (int j = 0; j < text.length; j++) {
				if (bytes[i + j] != text[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

	/** Sends on held bytes up to stream position {@code end}, minus the dropped frames. */
	private DataBuffer flushHeld(long end) {
		// Cut from the last range back, so earlier ranges keep their places in the array.
		int removed = 0;
		for (int i = this.cutCount - 2; i >= 0; i -= 2) {
			removed += cut(this.cuts[i], this.cuts[i + 1]);
		}
		this.cutCount = 0;
		int count = (int) (end - this.heldStart) - removed;
		this.heldStart += removed;
		if (count <= 0) {
			return null;
		}
		byte[] out = Arrays.copyOf(this.held, count);
		System.arraycopy(this.held, count, this.held, 0, this.heldLength - count);
		this.heldLength -= count;
		this.heldStart = end;
		return this.buffers.wrap(out);
	}

	/** Removes the stream range [from, to) from the held bytes; returns how many were removed. */
	private int cut(long from, long to) {
		int a = (int) Math.max(0, from - this.heldStart);
		int b = (int) Math.min(this.heldLength, to - this.heldStart);
		if (b <= a) {
			return 0;
		}
		System.arraycopy(this.held, b, this.held, a, this.heldLength - b);
		this.heldLength -= (b - a);
		return b - a;
	}

	private void ensureCapacity(int needed) {
		if (needed > this.held.length) {
			this.held = Arrays.copyOf(this.held, Math.max(needed, this.held.length * 2));
		}
	}

}
