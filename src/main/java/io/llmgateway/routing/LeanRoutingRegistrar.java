package io.llmgateway.routing;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.config.AutowireCapableBeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;

/**
 * Puts {@link LeanRoutingFilter} in the place of Spring Cloud Gateway's {@code routingFilter}
 * bean, with the same constructor arguments. A {@code routingFilter} bean of an application's own
 * is left alone. Where that bean is absent (the filter switched off
 * with {@code spring.cloud.gateway.server.webflux.global-filter.netty-routing.enabled=false}, or a
 * version that names it otherwise), nothing is registered.
 */
public class LeanRoutingRegistrar implements BeanDefinitionRegistryPostProcessor {

	static final String ROUTING_FILTER = "routingFilter";

	/** Where Spring Cloud Gateway declares its routing filter (nested configuration classes). */
	static final String GATEWAY_CONFIGURATION = "org.springframework.cloud.gateway.config.GatewayAutoConfiguration";

	private static final Log logger = LogFactory.getLog(LeanRoutingRegistrar.class);

	@Override
	public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
		if (!registry.containsBeanDefinition(ROUTING_FILTER)) {
			logger.info("No '" + ROUTING_FILTER + "' bean: Spring Cloud Gateway's routing filter is left as it is");
			return;
		}
		BeanDefinition existing = registry.getBeanDefinition(ROUTING_FILTER);
		if (!ROUTING_FILTER.equals(existing.getFactoryMethodName()) || existing.getFactoryBeanName() == null
				|| !existing.getFactoryBeanName().startsWith(GATEWAY_CONFIGURATION)) {
			logger.info("The '" + ROUTING_FILTER + "' bean is not Spring Cloud Gateway's own: left as it is");
			return;
		}
		registry.removeBeanDefinition(ROUTING_FILTER);
		RootBeanDefinition lean = new RootBeanDefinition(LeanRoutingFilter.class);
		lean.setAutowireMode(AutowireCapableBeanFactory.AUTOWIRE_CONSTRUCTOR);
		registry.registerBeanDefinition(ROUTING_FILTER, lean);
	}

}
