import { t } from '../i18n.js';
import { newPasswordPage } from './newpass.js';

export default (ctx) => newPasswordPage(ctx, { title: t('reset.title'), intro: t('reset.intro'),
  endpoint: '/password/reset', doneKey: 'reset.done' });
