import { Type } from 'typebox';
import { ButtonForm, Form, FormCheckboxes, FormText, IdParams, Text } from '../../schemas/index.ts';

/**
 * Form schemas of the account pages: login and logout, password reset and invitations, the
 * own account, the team page, the operator console and the staff switcher (web-api-ops §1.3,
 * §1.6, §2.4, §2.5; building blocks and rules in src/http/schemas/forms.ts). Hostile input (NUL,
 * a 100 kB "name", a list for a scalar) is a 400 page before anything runs and nothing is
 * stored. The bounds sit ABOVE the domain's own limits (username 150, password 128, e-mail
 * 254, customer name 255): a person who types one character too many gets the form back with
 * the field's message from the domain rule, not an error page. Blank, unknown or wrongly typed
 * values a person can produce (a bad e-mail, an unknown action) are also left to the handlers.
 *
 * Objects allow unknown fields (TypeBox's default): browsers and old forms may post extra
 * inputs (buttons with a name), which are ignored.
 */

/** A free-text field a person types (names, usernames, e-mail addresses). */
const typed = FormText(1_000);
/** A password field: above the policy's 128 so the policy message is shown. */
const password = FormText(1_024);
/** A value from a select, radio, hidden input or button (action, role, ids, modes). */
const choice = FormText(100);
/** `next`: a path the login or switch returns to (checked by safe-redirect). */
const next = FormText(2_000);
/** The product checkboxes: a handful of products exist, each name short. */
const products = FormCheckboxes(20, 100);

// --- login, logout, password reset --------------------------------------------------------

export const LoginQuery = Type.Object({ next });

export const LoginForm = Form({ username: typed, password, next });

export const LogoutForm = ButtonForm;

export const PasswordResetRequestForm = Form({ email: typed });

/**
 * The reset/invitation token in the path. Bounded and without control characters; its exact
 * shape is checked by the handler, which answers a malformed one like an expired one.
 */
export const ResetTokenParams = Type.Object({ token: Text({ maxLength: 200 }) });

export const PasswordResetForm = Form({ new_password1: password, new_password2: password });

// --- own account --------------------------------------------------------------------------

export const AccountForm = Form({
  action: choice,
  email: typed,
  first_name: typed,
  last_name: typed,
  old_password: password,
  new_password1: password,
  new_password2: password,
});

// --- team page ----------------------------------------------------------------------------

export const TeamForm = Form({
  action: choice,
  /** Text, not an id: a junk id answers the same 404 as another customer's membership. */
  membership_id: choice,
  username: typed,
  email: typed,
  first_name: typed,
  last_name: typed,
  role: choice,
});

// --- operator console ---------------------------------------------------------------------

export const CustomerIdParams = IdParams;

export const NewCustomerForm = Form({
  name: typed,
  products,
  username: typed,
  email: typed,
  role: choice,
  password_mode: choice,
  password,
});

export const CustomerActionForm = Form({
  action: choice,
  name: typed,
  products,
  username: typed,
  email: typed,
  first_name: typed,
  last_name: typed,
  role: choice,
  password_mode: choice,
  password,
});

/**
 * Filters of the audit page. Text rather than numbers and dates: the filter form posts
 * `customer=` and `date=` empty for "all", and an unusable value is ignored like before.
 */
export const AuditQuery = Type.Object({
  page: FormText(12),
  customer: FormText(20),
  action: FormText(100),
  user: FormText(300),
  date: FormText(20),
});

export const StaffUsersForm = Form({
  action: choice,
  username: typed,
  email: typed,
  is_superuser: choice,
  user_id: choice,
});

/** The staff customer switcher (`customer_id` empty clears the acting customer). */
export const SwitchCustomerForm = Form({ customer_id: choice, next });
