import {
  ButtonForm,
  Form,
  FormCheckboxes,
  FormFlag,
  FormText,
  FormTextArea,
  IdParams,
} from '../../schemas/index.ts';

/**
 * Form schemas of `/portal/alerts/rules/` (alerts-reports §2, §12). Fields are bounded text
 * (hostile input → 400 page); choices, numbers and names a person can get wrong are left to the
 * domain validator, which re-renders the form with the field's message.
 */

export const RuleForm = Form({
  name: FormText(400),
  description: FormTextArea(4000),
  product: FormText(40),
  scope_payer: FormText(400),
  scope_cpt_group: FormText(400),
  metric: FormText(40),
  threshold_type: FormText(10),
  threshold_value: FormText(40),
  severity: FormText(20),
  channels: FormCheckboxes(50, 20),
  priority: FormText(20),
  routing_tags: FormText(2000),
  enabled: FormFlag,
});

export const RuleIdParams = IdParams;
export const RuleDeleteForm = ButtonForm;
