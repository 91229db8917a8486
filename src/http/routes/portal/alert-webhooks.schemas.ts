import { ButtonForm, Form, FormCheckboxes, FormFlag, FormText, IdParams } from '../../schemas/index.ts';

/** Form schemas of `/portal/alerts/webhooks/` (see src/http/schemas/forms.ts for the rules). */

export const EndpointForm = Form({
  name: FormText(400),
  url: FormText(2000),
  active: FormFlag,
  event_types: FormCheckboxes(10, 40),
});

export const EndpointIdParams = IdParams;
export const EndpointButtonForm = ButtonForm;
