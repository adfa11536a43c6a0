package io.llmgateway.pricing;

import java.math.BigDecimal;

import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

/**
 * The price of one model, in US dollars per million tokens.
 */
public class ModelPrice {

	/**
	 * Model name as requested or reported, e.g. {@code gpt-4o-mini}. A dated variant such as
	 * {@code gpt-4o-mini-2024-07-18} is priced by this entry unless it has its own.
	 */
	@NotBlank
	private String model;

	/**
	 * Price of an uncached input token.
	 */
	@NotNull
	@DecimalMin("0")
	private BigDecimal input;

	/**
	 * Price of an output token.
	 */
	@NotNull
	@DecimalMin("0")
	private BigDecimal output;

	/**
	 * Price of an input token read from the prompt cache; the input price when unset.
	 */
	@DecimalMin("0")
	private BigDecimal cacheReadInput;

	/**
	 * Price of an input token written to the prompt cache; the input price when unset.
	 */
	@DecimalMin("0")
	private BigDecimal cacheWriteInput;

	/**
	 * Price of a reasoning token, only where the provider prices reasoning apart from output;
	 * reasoning is priced as output when unset.
	 */
	@DecimalMin("0")
	private BigDecimal reasoningOutput;

	public String getModel() {
		return this.model;
	}

	public void setModel(String model) {
		this.model = model;
	}

	public BigDecimal getInput() {
		return this.input;
	}

	public void setInput(BigDecimal input) {
		this.input = input;
	}

	public BigDecimal getOutput() {
		return this.output;
	}

	public void setOutput(BigDecimal output) {
		this.output = output;
	}

	public BigDecimal getCacheReadInput() {
		return this.cacheReadInput;
	}

	public void setCacheReadInput(BigDecimal cacheReadInput) {
		this.cacheReadInput = cacheReadInput;
	}

	public BigDecimal getCacheWriteInput() {
		return this.cacheWriteInput;
	}

	public void setCacheWriteInput(BigDecimal cacheWriteInput) {
		this.cacheWriteInput = cacheWriteInput;
	}

	public BigDecimal getReasoningOutput() {
		return this.reasoningOutput;
	}

	public void setReasoningOutput(BigDecimal reasoningOutput) {
		this.reasoningOutput = reasoningOutput;
	}

}
