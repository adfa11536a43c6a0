package io.llmgateway.pricing;

/**
 * The cost of one call in US dollars, each token priced once (see the telemetry contract):
 * uncached input, cache reads, cache writes, output, and reasoning where priced apart (then not
 * also counted in output).
 */
public record Cost(double input, double cacheReadInput, double cacheWriteInput, double output,
		double reasoningOutput) {

	public double total() {
		return this.input + this.cacheReadInput + this.cacheWriteInput + this.output + this.reasoningOutput;
	}

}
