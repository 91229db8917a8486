import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.ts';
import { registerAccountRoutes } from './account.ts';
import { registerAdminRoutes } from './admin.ts';
import { registerAdminMetricsRoutes } from './admin-metrics.ts';
import { registerAdminUserRoutes } from './admin-users.ts';
import { registerAlertChannelRoutes } from './alert-channels.ts';
import { registerAlertRuleRoutes } from './alert-rules.ts';
import { registerAlertWebhookRoutes } from './alert-webhooks.ts';
import { registerAlertsRoutes } from './alerts.ts';
import { registerAnalysisProgressRoutes } from './analysis-progress.ts';
import { registerAnalyticsPortalRoutes } from './analytics.ts';
import { registerPortalAuthRoutes } from './auth.ts';
import { registerAxisRoutes } from './axis.ts';
import { registerBacktestRoutes } from './backtest.ts';
import { registerClaimsRoutes } from './claims.ts';
import { registerInsightsRoutes } from './insights.ts';
import { registerMappingsRoutes } from './mappings.ts';
import { registerQualityRoutes } from './quality.ts';
import { registerReportExportRoutes } from './report-exports.ts';
import { registerSettingsRoutes } from './settings.ts';
import { registerTeamRoutes } from './team.ts';
import { registerUploadRoutes } from './uploads.ts';

/** Portal pages of the accounts area (web-api-ops §1.3). */
export function registerPortalRoutes(app: FastifyInstance, services: Services): void {
  registerPortalAuthRoutes(app, services);
  registerAxisRoutes(app, services);
  registerAnalyticsPortalRoutes(app, services);
  registerAnalysisProgressRoutes(app, services);
  registerBacktestRoutes(app, services);
  registerTeamRoutes(app, services);
  registerUploadRoutes(app, services);
  registerClaimsRoutes(app, services);
  registerAlertsRoutes(app, services);
  registerReportExportRoutes(app, services);
  registerMappingsRoutes(app, services);
  registerInsightsRoutes(app, services);
  registerQualityRoutes(app, services);
  registerSettingsRoutes(app, services);
  registerAlertRuleRoutes(app, services);
  registerAlertChannelRoutes(app, services);
  registerAlertWebhookRoutes(app, services);
  registerAccountRoutes(app, services);
  registerAdminRoutes(app, services);
  registerAdminUserRoutes(app, services);
  registerAdminMetricsRoutes(app, services);
}
