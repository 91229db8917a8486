import { ButtonForm, Form, FormFlag, FormText, FormTextArea, IdParams } from '../../schemas/index.ts';

/** Form schemas of `/portal/alerts/channels/` (alerts-reports §5, §12); rules as in alert-rules.schemas.ts. */

export const ChannelForm = Form({
  name: FormText(400),
  type: FormText(20),
  enabled: FormFlag,
  recipients: FormTextArea(6000),
  webhook_url: FormText(600),
  endpoint: FormText(20),
});

export const ChannelIdParams = IdParams;
export const ChannelButtonForm = ButtonForm;
