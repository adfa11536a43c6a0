package io.llmgateway.provider;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.llmgateway.usage.OutputTokenTally;
import io.llmgateway.usage.TokenEstimator;
import io.llmgateway.usage.TokenUsage;

/**
 * Facts about one LLM response, filled by a provider adapter as the bytes go by. Written by one
 * thread at a time (the response is decoded in order); read once the call has ended.
 */
public final class LlmResponse {

	private final String model;

	private final TokenEstimator estimator;

	private final OutputTokenTally output = new OutputTokenTally();

	private String responseModel;

	private String responseId;

	private final List<String> finishReasons = new ArrayList<>(1);

	private TokenUsage usage;

	private long firstContentNanos;

	private String errorType;

	private boolean outputKnown = true;

	private boolean completed;

	/**
	 * @param requestModel the model asked for, used to pick the tokenizer for estimates
	 * @param estimator the tokenizer used for output text that may need an estimate
	 */
	public LlmResponse(String requestModel, TokenEstimator estimator) {
		this.model = requestModel;
		this.estimator = estimator;
	}

	/** Records the model the provider reports (the first one seen wins). */
	public void responseModel(String responseModel) {
		if (this.responseModel == null && responseModel != null && !responseModel.isEmpty()) {
			this.responseModel = responseModel;
		}
	}

	/** Records the provider's response id (the first one seen wins). */
	public void responseId(String responseId) {
		if (this.responseId == null && responseId != null && !responseId.isEmpty()) {
			this.responseId = responseId;
		}
	}

	/** Records a finish reason. */
	public void finishReason(String reason) {
		if (reason != null && !reason.isEmpty()) {
			this.finishReasons.add(reason);
		}
	}

	/** Records provider-reported usage; a later report replaces an earlier one. */
	public void usage(TokenUsage usage) {
		this.usage = usage;
	}

	/** Records generated text, kept only as far as a token estimate may need it. */
	public void outputText(CharSequence text) {
		this.output.append(text, this.model, this.estimator);
	}

	/** Marks the moment the first piece of content went by; later calls are ignored. */
	public void firstContent(long nanoTime) {
		if (this.firstContentNanos == 0) {
			this.firstContentNanos = nanoTime;
		}
	}

	/**
	 * Records what went wrong in the response body itself (a mid-stream error event, a body
	 * that is not what it claims to be). The first one seen wins.
	 */
	public void errorType(String errorType) {
		if (this.errorType == null) {
			this.errorType = errorType;
		}
	}

	/** The output text could not be read, so no output estimate can be made. */
	public void outputUnknown() {
		this.outputKnown = false;
	}

	/** The response reached its regular end ({@code [DONE]}, the last event, or a whole body). */
	public void completed() {
		this.completed = true;
	}

	public String responseModel() {
		return this.responseModel;
	}

	public String responseId() {
		return this.responseId;
	}

	public List<String> finishReasons() {
		return Collections.unmodifiableList(this.finishReasons);
	}

	/** Provider-reported usage, or {@code null}. */
	public TokenUsage usage() {
		return this.usage;
	}

	/** {@link System#nanoTime()} of the first content, or 0. */
	public long firstContentNanos() {
		return this.firstContentNanos;
	}

	public String errorType() {
		return this.errorType;
	}

	public boolean isOutputKnown() {
		return this.outputKnown;
	}

	public boolean isCompleted() {
		return this.completed;
	}

	/** Estimated tokens of the output text seen. */
	public long estimatedOutputTokens() {
		return this.output.tokens(this.model, this.estimator);
	}

}
