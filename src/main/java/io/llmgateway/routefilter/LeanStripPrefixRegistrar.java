package io.llmgateway.routefilter;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;

/**
 * Puts {@link LeanStripPrefixGatewayFilterFactory} in the place of Spring Cloud Gateway's
 * {@code stripPrefixGatewayFilterFactory} bean. Where that bean is absent (the filter switched off
 * with {@code spring.cloud.gateway.server.webflux.filter.strip-prefix.enabled=false}, or a
 * version that names it otherwise), nothing is registered.
 */
public class LeanStripPrefixRegistrar implements BeanDefinitionRegistryPostProcessor {

	static final String STRIP_PREFIX = "stripPrefixGatewayFilterFactory";

	private static final Log logger = LogFactory.getLog(LeanStripPrefixRegistrar.class);

	@Override
	public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
		if (!registry.containsBeanDefinition(STRIP_PREFIX)) {
			logger.info("No '" + STRIP_PREFIX + "' bean: Spring Cloud Gateway's StripPrefix is left as it is");
			return;
		}
		registry.removeBeanDefinition(STRIP_PREFIX);
		registry.registerBeanDefinition(STRIP_PREFIX, new RootBeanDefinition(LeanStripPrefixGatewayFilterFactory.class,
				LeanStripPrefixGatewayFilterFactory::new));
	}

}
