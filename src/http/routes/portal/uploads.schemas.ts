import { Type } from 'typebox';
import { CANONICAL_COLUMNS } from '../../../domain/claims/index.ts';
import {
  ButtonForm,
  Choice,
  Form,
  FormFlag,
  FormText,
  IdParams,
  PaginationProperties,
} from '../../schemas/index.ts';

/**
 * Schemas of the portal's upload pages (web-api-ops §1.3, §1.6 "Uploads"). A malformed id is
 * the 404 page; a bad `page` the 404 "Invalid page." (§4.1); hostile field values a 400 page
 * before anything runs. The multipart form's fields are checked by receiveUpload against
 * {@link UploadFormFields} (the file itself is streamed, never part of a schema).
 */

export const UploadIdParams = IdParams;

export const UploadListQuery = Type.Object({ page: PaginationProperties.page });

/** Rejection categories of the detail page's filter ('' = all). */
export const REJECTION_CATEGORIES = ['phi', 'missing_fields', 'invalid_dates', 'invalid_values'] as const;

export const UploadDetailQuery = Type.Object({
  category: Type.Optional(Choice(['', ...REJECTION_CATEGORIES])),
  page: PaginationProperties.page,
});

/** Text fields of the multipart upload form (`csv_file` is the streamed file part). */
export const UploadFormFields = Form({ allow_duplicate: FormFlag });

/** A plain (non-multipart) POST of the upload form: only the token is read ("No file uploaded"). */
export const UploadPlainForm = ButtonForm;

/**
 * The mapping step: one `map_<canonical field>` per canonical column (16 fixed names, so no
 * dynamic field names: the source headers are the VALUES), each the chosen source header.
 * 1,000 characters bound a header far above any real one; the command checks that the header
 * exists in the file. `action` is the pressed button.
 */
export const MappingForm = Form({
  action: Type.Optional(Choice(['save', 'cancel'])),
  profile_name: FormText(400),
  ...Object.fromEntries(CANONICAL_COLUMNS.map((name) => [`map_${name}`, FormText(1000)])),
});
