package io.llmgateway.usage;

/**
 * A call's final token counts and where they come from.
 *
 * @param usage the counts
 * @param source provider-reported or estimated
 * @param outputKnown whether {@code usage.output()} means anything (an estimate needs the text)
 */
public record ResolvedUsage(TokenUsage usage, UsageSource source, boolean outputKnown) {
}
