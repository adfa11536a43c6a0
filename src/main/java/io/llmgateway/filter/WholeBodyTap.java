package io.llmgateway.filter;

import java.nio.ByteBuffer;
import java.util.Arrays;

import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.ProviderAdapter;
import io.llmgateway.stream.Inflating;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * Reads a non-streamed body once it has all gone by. Every chunk is sent on untouched as it
 * arrives; a copy of its (decompressed) bytes is kept up to a cap, past which the body is left
 * unread and its usage unknown.
 */
final class WholeBodyTap implements ResponseTap {

	private final ProviderAdapter adapter;

	private final LlmRequest request;

	private final LlmResponse response;

	private final int status;

	private final int maxBytes;

	private final Inflating inflating;

	private byte[] body;

	private int length;

	private boolean unreadable;

	/**
	 * @param expectedLength the length the body will have, or a negative number when unknown: an
	 * exact size spares growing the copy, and a wrong one only costs a copy more
	 */
	WholeBodyTap(ProviderAdapter adapter, LlmRequest request, LlmResponse response, int status, int maxBytes,
			Inflating inflating, long expectedLength) {
		this.adapter = adapter;
		this.request = request;
		this.response = response;
		this.status = status;
		this.maxBytes = maxBytes;
		this.inflating = inflating;
		this.body = new byte[(expectedLength > 0 && expectedLength <= maxBytes) ? (int) expectedLength : 1024];
	}

	@Override
	public DataBuffer onBuffer(DataBuffer buffer) {
		if (!this.unreadable) {
			try (DataBuffer.ByteBufferIterator views = buffer.readableByteBuffers()) {
				while (views.hasNext() && !this.unreadable) {
					ByteBuffer view = views.next();
					if (this.inflating == null) {
						keep(view);
					}
					else if (!this.inflating.feed(view, this::keep)) {
						giveUp();
					}
				}
			}
		}
		return buffer;
	}

	@Override
	public DataBuffer onComplete() {
		if (!this.unreadable) {
			try {
				this.adapter.readResponse(this.request, this.body, this.length, this.status, this.response);
			}
			catch (RuntimeException ex) {
				this.response.outputUnknown();
				this.response.errorType("invalid_response");
			}
		}
		release();
		return null;
	}

	@Override
	public void onAbort() {
		// A body cut short cannot be parsed; its output is unknown.
		this.response.outputUnknown();
		release();
	}

	private void keep(ByteBuffer bytes) {
		int n = bytes.remaining();
		if (this.length + n > this.maxBytes) {
			giveUp();
			return;
		}
		if (this.length + n > this.body.length) {
			this.body = Arrays.copyOf(this.body, Math.min(this.maxBytes, Math.max(this.length + n, this.body.length * 2)));
		}
		bytes.get(this.body, this.length, n);
		this.length += n;
	}

	private void giveUp() {
		this.unreadable = true;
		this.response.outputUnknown();
		this.body = new byte[0];
		this.length = 0;
	}

	private void release() {
		if (this.inflating != null) {
			this.inflating.close();
		}
		this.body = new byte[0];
	}

}
